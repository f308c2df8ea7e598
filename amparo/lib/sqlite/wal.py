"""Checkpoints of SQLite's write-ahead log kept out of a long run of writes.

SQLite copies the WAL back into the database inside the commit that takes it past
``wal_autocheckpoint`` pages, and that commit still holds the write lock (and here the
writers' queue, base.py) while it does: 50–80 ms on a busy disk, every ~4 MB an import
writes. :func:`checkpoints_between_writes` turns that off on this connection for the
run, and gives the caller a function to call between its transactions: a PASSIVE
checkpoint, which waits for no reader or writer and holds no write lock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection


@contextmanager
def checkpoints_between_writes(db: Any = connection) -> Iterator[Callable[[], None]]:
    """On SQLite: no checkpoint inside this connection's commits until the block ends;
    call the function yielded after each commit. Elsewhere both do nothing."""
    if db.vendor != "sqlite" or db.is_in_memory_db():
        yield lambda: None
        return

    def checkpoint() -> None:
        if not db.in_atomic_block:
            with db.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")

    with db.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        (pages,) = cursor.fetchone()
        cursor.execute("PRAGMA wal_autocheckpoint=0")
    try:
        yield checkpoint
    finally:
        if db.connection is not None:  # a closed connection opens with the default
            with db.cursor() as cursor:
                cursor.execute(f"PRAGMA wal_autocheckpoint={int(pages)}")
