"""The embedded queue's SQLite file: WAL and synchronous=NORMAL, like the app database
(an enqueue is not an fsync: a store-and-go webhook's second-biggest cost, issue 16)."""

from __future__ import annotations

from pathlib import Path

from amparo.lib.queue import SqliteHuey


def test_the_sqlite_queue_does_not_flush_to_disk_on_every_enqueue(tmp_path: Path) -> None:
    huey = SqliteHuey("amparo-test", filename=str(tmp_path / "queue.sqlite3"))
    conn = huey.storage.conn
    assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert conn.execute("pragma synchronous").fetchone()[0] == 1  # NORMAL (FULL is 2)
    huey.storage.enqueue(b"task", 0)
    assert huey.storage.queue_size() == 1
