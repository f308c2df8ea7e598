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
    # A throwaway database: SQLite in data_dir, or, with DATABASE_URL set to a PostgreSQL
    # server, a new database there dropped at exit. Never the deployment's own database.
    url = os.environ.pop("DATABASE_URL", "")
    os.environ.pop("DATABASE_URL_FILE", None)
    if url.startswith(("postgres://", "postgresql://")):
        os.environ["DATABASE_URL"] = _postgres_throwaway(url)
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


def _postgres_throwaway(url: str) -> str:
    """Create an empty database on the server of ``url``; drop it when the process exits."""
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    name = f"amparo_bench_{uuid.uuid4().hex[:10]}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    atexit.register(drop)
    return urlunsplit(parts._replace(path=f"/{name}"))
