"""Checkpoints of SQLite's write-ahead log, kept out of every commit.

SQLite copies the WAL back into the database inside the commit that takes it past
``wal_autocheckpoint`` pages, and that commit still holds the write lock (and here the
writers' queue, base.py) while it does: 10–80 ms on a busy disk, once every ~145 webhook
texts or every ~4 MB an import writes, and every writer queues behind it (issue 16).
So the engine turns the automatic checkpoint off on each connection (``wal_autocheckpoint=0``)
and counts its process's commits: every ``EVERY`` commits, once the lock is released, a
background thread of the process runs a PASSIVE :func:`checkpoint` on a connection of its
own (it waits for no reader or writer and holds no write lock). Whoever writes
checkpoints, so the WAL stays bounded with no worker running. A long writer (an import)
also calls :func:`checkpoint` itself between its transactions.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from typing import Any
from urllib.parse import quote

from django.db import connection

log = logging.getLogger(__name__)

#: Commits of one process between two checkpoints (a webhook's commit adds ~7 pages).
EVERY = 100
OFF = "PRAGMA wal_autocheckpoint=0"
PASSIVE = "PRAGMA wal_checkpoint(PASSIVE)"

_lock = threading.Lock()
_commits = 0
_due: set[str] = set()
_wake = threading.Event()
_thread: threading.Thread | None = None


def checkpoint(db: Any = connection) -> None:
    """A PASSIVE checkpoint on ``db`` now, outside any transaction (SQLite files only)."""
    if db.vendor == "sqlite" and not db.is_in_memory_db() and not db.in_atomic_block:
        with db.cursor() as cursor:
            cursor.execute(PASSIVE)


def committed(path: str) -> None:
    """The engine's note of one commit to the database file ``path`` (lock released)."""
    global _commits, _thread
    with _lock:
        _commits += 1
        if _commits < EVERY:
            return
        _commits = 0
        _due.add(path)
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_run, name="sqlite-checkpoint", daemon=True)
            _thread.start()
    _wake.set()


def _run() -> None:
    while True:
        _wake.wait()
        with _lock:
            _wake.clear()
            paths = list(_due)
            _due.clear()
        for path in paths:
            try:
                checkpoint_file(path)
            except sqlite3.Error as error:  # the next one catches up
                log.debug("WAL checkpoint skipped: %s", error)


def checkpoint_file(path: str) -> tuple[int, int, int]:
    """A PASSIVE checkpoint of the database file ``path`` on a connection of its own:
    (busy, frames in the WAL, frames copied back)."""
    # mode=rw: never create a database that was deleted meanwhile
    db = sqlite3.connect(f"file:{quote(path)}?mode=rw", uri=True, timeout=0)
    try:
        busy, frames, copied = db.execute(PASSIVE).fetchone()
        return busy, frames, copied
    finally:
        db.close()


def _after_fork() -> None:
    global _lock, _commits, _thread, _wake
    _lock, _commits, _thread, _wake = threading.Lock(), 0, None, threading.Event()
    _due.clear()


os.register_at_fork(after_in_child=_after_fork)
