"""The embedded queue: Huey on its own SQLite file, in WAL mode with ``synchronous=NORMAL``
like the app database (Huey's default FULL costs an fsync per enqueue: about half of a
webhook's time, issue 16). A power cut may lose the last enqueues; the sweeper
re-enqueues them from the database rows that are the schedule."""

from __future__ import annotations

import sqlite3
import time

from huey import Huey
from huey.storage import SqliteStorage


class QueueStorage(SqliteStorage):
    def _create_connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection = super()._create_connection()
        conn.execute("pragma synchronous=NORMAL")
        return conn


class SqliteHuey(Huey):
    storage_class = QueueStorage


def queue_turn(huey: Huey, key: str, seconds: float) -> bool:
    """Whether this caller is the first in the current ``seconds``-long window of the
    clock: one key a window, taken with the storage's atomic put-if-empty (no take-over
    of a stale key, which two callers could both win); the window before is dropped."""
    window = int(time.time() // seconds)
    huey.delete(f"{key}:{window - 1}")
    return bool(huey.put_if_empty(f"{key}:{window}", "1"))


def queue_lock(huey: Huey, key: str, seconds: float) -> bool:
    """Take ``key`` in the queue's own storage (shared by every worker), or take it over
    when it was taken ``seconds`` ago or more (its holder died, or its turn is over)."""
    now = time.time()
    if huey.put_if_empty(key, now):
        return True
    since = huey.get(key, peek=True)
    if since is not None and now - float(since) < seconds:
        return False
    huey.delete(key)
    return bool(huey.put_if_empty(key, now))
