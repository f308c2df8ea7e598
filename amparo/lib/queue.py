"""The embedded queue: Huey on its own SQLite file, as durable as the app database.

Huey's SQLite storage leaves ``synchronous`` at SQLite's default (FULL: an fsync on
every commit), so each enqueue costs a disk flush — measured at about half of a
store-and-go webhook's time (issue 16). Here the queue file is in WAL mode with
``synchronous=NORMAL``, like the app database (settings.py): a crash of the process
or the machine never corrupts it; a power cut may lose the last enqueues, which the
sweeper re-enqueues from the database rows that are the schedule (DESIGN.md,
"Background work and time").
"""

from __future__ import annotations

import sqlite3

from huey import Huey
from huey.storage import SqliteStorage


class QueueStorage(SqliteStorage):
    def _create_connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection = super()._create_connection()
        conn.execute("pragma synchronous=NORMAL")
        return conn


class SqliteHuey(Huey):
    storage_class = QueueStorage
