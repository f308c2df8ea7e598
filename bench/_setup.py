"""Shared set-up for benchmarks: a throwaway data directory, test keys, a migrated database,
collected static files.

Idempotent within a process (``bench.people`` runs several benchmarks in one), and
the directory is removed when the process exits — never a configured one.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

_data_dir: str | None = None


def django_in_tempdir() -> str:
    global _data_dir
    if _data_dir is not None:
        return _data_dir
    data_dir = tempfile.mkdtemp(prefix="amparo-bench-")
    atexit.register(shutil.rmtree, data_dir, True)
    os.environ["AMPARO_DATA_DIR"] = data_dir
    # A throwaway SQLite database in data_dir: never the deployment's own database.
    # A PostgreSQL DATABASE_URL (or BENCH_DATABASE_URL) runs the same there: that
    # database must be a fresh, empty one, and it is the caller's to drop afterwards.
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    os.environ.pop("DATABASE_URL_FILE", None)
    if url.startswith("postgres"):
        os.environ["DATABASE_URL"] = url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("AMPARO_TESTING", "1")  # fast password hashing, sandbox on
    os.environ.setdefault("AMPARO_HUEY_URL", "memory")
    os.environ.setdefault("AMPARO_MASTER_KEY", "YmVuY2gtbWFzdGVyLWtleS1ub3QtZm9yLXByb2QtdXM=")
    os.environ.setdefault("AMPARO_INDEX_KEY", "YmVuY2gtaW5kZXgta2V5LS1ub3QtZm9yLXByb2QtdXM=")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amparo.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)  # as `amparo run` does
    _data_dir = data_dir
    return data_dir
