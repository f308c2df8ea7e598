"""Shared set-up for benchmarks: a throwaway data directory, test keys, a migrated database,
collected static files.

Idempotent within a process (``bench.people`` runs several benchmarks in one), and
the directory is removed when the process exits — never a configured one.

The database is throwaway too: SQLite in the data directory, or — when ``DATABASE_URL``
names a PostgreSQL server — a new database on that server (``<name>_bench_<pid>``),
dropped when the process exits; the database the URL names is never touched.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import sys
import tempfile
from urllib.parse import urlsplit, urlunsplit

_data_dir: str | None = None


def django_in_tempdir() -> str:
    global _data_dir
    if _data_dir is not None:
        return _data_dir
    data_dir = tempfile.mkdtemp(prefix="amparo-bench-")
    atexit.register(shutil.rmtree, data_dir, True)
    os.environ["AMPARO_DATA_DIR"] = data_dir
    # A throwaway database: never the deployment's own.
    url = os.environ.pop("DATABASE_URL", "")
    os.environ.pop("DATABASE_URL_FILE", None)
    if url.startswith(("postgres://", "postgresql://")):
        os.environ["DATABASE_URL"] = _throwaway_postgres(url)
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


def sqlite_queue() -> None:
    """Before Django starts: the deployment's embedded queue (Huey on its own SQLite
    file, enqueued on commit) instead of running tasks inside the request as the
    default in-memory queue does; no consumer reads it, so nothing is sent."""
    queue_dir = tempfile.mkdtemp(prefix="amparo-bench-queue-")
    atexit.register(shutil.rmtree, queue_dir, True)
    os.environ["AMPARO_HUEY_URL"] = "sqlite:" + os.path.join(queue_dir, "huey.sqlite3")


def database_label() -> str:
    """ "PostgreSQL" or "SQLite": what the benchmark ran on (for its RESULT line)."""
    return "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"


def _throwaway_postgres(url: str) -> str:
    """Create ``<name>_bench_<pid>`` on the server ``url`` names; drop it at exit."""
    import psycopg

    parts = urlsplit(url)
    base = parts.path.lstrip("/") or "postgres"
    name = f"{base}_bench_{os.getpid()}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    atexit.register(drop)
    # ``timeout`` and CI stop a run with SIGTERM: exit through atexit, so it is dropped
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    return urlunsplit(parts._replace(path="/" + name))
