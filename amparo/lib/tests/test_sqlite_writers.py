"""SQLite writers queue (amparo/lib/sqlite): a second writer waits on the writers' lock,
not in SQLite's sleep-and-retry, gets in once the first commits, and the lock is given
back however a transaction ends (commit, rollback, a closed connection)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from amparo.lib.sqlite import base
from amparo.people.models import RateBucket

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")


def _bucket(key: str) -> None:
    RateBucket.objects.create(key_hash=key, window_start="2026-01-01T00:00:00Z", count=1)


@pytest.mark.django_db(transaction=True)
def test_a_second_writer_waits_for_the_first_and_then_writes() -> None:
    first_in, second_tried, second_done = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def second() -> None:
        try:
            first_in.wait(10)
            second_tried.set()
            with transaction.atomic():
                _bucket("second")
            second_done.set()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=second)
    thread.start()
    with transaction.atomic():
        _bucket("first")
        first_in.set()
        second_tried.wait(10)
        assert not second_done.wait(0.2)  # held back while this transaction writes
    thread.join(10)
    assert not errors and second_done.is_set()
    assert set(RateBucket.objects.values_list("key_hash", flat=True)) == {"first", "second"}


@pytest.mark.django_db(transaction=True)
def test_the_lock_is_given_back_on_rollback_and_close() -> None:
    with pytest.raises(ValueError), transaction.atomic():
        _bucket("rolled back")
        raise ValueError
    assert base._threads.acquire(blocking=False)
    base._threads.release()
    with transaction.atomic():
        _bucket("closed")
        connection.close()  # e.g. a worker closing a broken connection mid-transaction
    assert base._threads.acquire(blocking=False)
    base._threads.release()
    assert not RateBucket.objects.filter(key_hash="rolled back").exists()


@pytest.mark.django_db(transaction=True)
def test_commits_never_checkpoint_and_every_nth_one_wakes_the_checkpointer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from amparo.lib.sqlite import wal

    done, real = threading.Event(), wal.checkpoint_file
    results: list[tuple[int, int, int]] = []

    def spy(path: str) -> tuple[int, int, int]:
        results.append(real(path))
        done.set()
        return results[-1]

    monkeypatch.setattr(wal, "checkpoint_file", spy)
    monkeypatch.setattr(wal, "EVERY", 3)
    monkeypatch.setattr(wal, "_commits", 0)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone() == (0,)  # no commit copies the WAL back
    for key in ("a", "b"):
        with transaction.atomic():
            _bucket(key)
    assert not done.wait(0.2)
    with transaction.atomic():
        _bucket("c")
    assert done.wait(10)
    busy, frames, copied = results[0]
    assert busy == 0 and frames > 0 and copied == frames  # outside the writers' lock
