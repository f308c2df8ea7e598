"""SQLite whose writers queue instead of polling (ENGINE ``amparo.lib.sqlite``).

SQLite's busy writer sleeps and retries, so under load newer writers overtake waiters
(p95 0.6–0.8 s for a write of milliseconds, issue 16). Here a write transaction first
takes this process's lock, then a file lock on ``<database>.writers`` shared by the
machine's processes, then ``BEGIN IMMEDIATE``; both are released at commit, rollback or
close. Past the busy timeout SQLite's own wait decides, as before. No commit runs a WAL
checkpoint: wal.py runs them beside the writes."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from typing import Any

from django.db.backends.sqlite3 import base

from . import wal

WAIT = 5.0  # seconds: the busy timeout settings.py gives SQLite
_threads = threading.Lock()
_files: dict[str, int] = {}


def _after_fork() -> None:
    """A forked worker gets its own locks: an inherited descriptor would share the
    parent's lock on the file, and the thread lock may have been held at the fork."""
    global _threads
    _threads = threading.Lock()
    _files.clear()


os.register_at_fork(after_in_child=_after_fork)


class DatabaseWrapper(base.DatabaseWrapper):
    _held = False

    def _start_transaction_under_autocommit(self) -> None:
        self._writers_lock()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._writers_unlock()
            raise

    def get_new_connection(self, conn_params: Any) -> Any:
        conn = super().get_new_connection(conn_params)
        if not self.is_in_memory_db():
            conn.execute(wal.OFF)
        return conn

    def _commit(self) -> Any:
        try:
            return super()._commit()  # type: ignore[misc]
        finally:
            self._writers_unlock()
            if not self.is_in_memory_db():
                wal.committed(str(self.settings_dict["NAME"]))

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]
        finally:
            self._writers_unlock()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]
        finally:
            self._writers_unlock()

    def _writers_lock(self) -> None:
        if self._held or self.is_in_memory_db():
            return
        deadline = time.monotonic() + WAIT
        if not _threads.acquire(timeout=WAIT):
            return
        name = str(self.settings_dict["NAME"]) + ".writers"
        if name not in _files:
            _files[name] = os.open(name, os.O_RDWR | os.O_CREAT, 0o600)
        while True:  # one thread per process waits here, so a short poll costs little
            try:
                fcntl.flock(_files[name], fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    _threads.release()
                    return
                time.sleep(0.0005)
        self._held = True

    def _writers_unlock(self) -> None:
        if self._held:
            self._held = False
            fcntl.flock(_files[str(self.settings_dict["NAME"]) + ".writers"], fcntl.LOCK_UN)
            _threads.release()
