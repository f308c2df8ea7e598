"""The audit log is hash-chained; `amparo audit verify` catches an edited or deleted row."""

from __future__ import annotations

import threading
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from django.utils import timezone

from amparo.accounts.audit import audit_record
from amparo.accounts.chain import chain_verify
from amparo.accounts.models import AuditEvent

TABLE = AuditEvent._meta.db_table


def _events(n: int, **extra: Any) -> list[AuditEvent]:
    return [
        audit_record(action=AuditEvent.Action.READ, note=f"code-{i}", fields=["b", "a"], **extra)
        for i in range(n)
    ]


def _verify() -> str:
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def _raw(sql: str, params: list[Any]) -> None:
    # Bypasses the model's refusal; the database triggers are not installed in tests.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.django_db
def test_a_normal_log_verifies_intact(coordinator_a, network_a):
    before = AuditEvent.objects.count()
    events = _events(5, actor=coordinator_a, network=network_a)
    assert events[0].prev_hash == (
        AuditEvent.objects.filter(id__lt=events[0].id).latest("id").row_hash
    )
    for earlier, later in zip(events, events[1:], strict=False):
        assert later.prev_hash == earlier.row_hash
        assert len(later.row_hash) == 64
    out = _verify()
    assert f"chain intact: {before + 5} events" in out


@pytest.mark.django_db
def test_an_edited_row_is_named(network_a):
    events = _events(5, network=network_a)
    target = events[2]
    _raw(f"UPDATE {TABLE} SET note = %s WHERE id = %s", ["harmless", target.id])
    report = chain_verify()
    assert not report.intact
    assert report.broken_id == target.id
    assert report.last_good_id == events[1].id
    with pytest.raises(CommandError, match=rf"chain broken at event id {target.id}\b") as caught:
        _verify()
    assert caught.value.returncode == 1


@pytest.mark.django_db
def test_a_deleted_row_is_named_by_the_event_after_it(network_a):
    events = _events(5, network=network_a)
    _raw(f"DELETE FROM {TABLE} WHERE id = %s", [events[2].id])
    report = chain_verify()
    assert not report.intact
    assert report.broken_id == events[3].id
    assert report.last_good_id == events[1].id
    assert "deleted" in report.reason
    with pytest.raises(CommandError, match=rf"event id {events[3].id}\b"):
        _verify()


@pytest.mark.django_db
def test_a_rewritten_hash_or_a_forged_row_without_the_key_is_caught(network_a):
    events = _events(3, network=network_a)
    # Recomputing a plain SHA-256 is all an attacker without the index key can do.
    _raw(f"UPDATE {TABLE} SET row_hash = %s WHERE id = %s", ["0" * 64, events[1].id])
    assert chain_verify().broken_id == events[1].id


@pytest.mark.django_db
def test_events_from_before_the_chain_are_counted_not_checked():
    AuditEvent.objects.all()._raw_delete(AuditEvent.objects.db)  # a fresh log for this test
    AuditEvent.objects.create(action="read", note="before the migration")
    _events(2)
    report = chain_verify()
    assert report.intact and report.before_chain == 1 and report.checked == 2
    out = _verify()
    assert "1 events from before the chain existed" in out
    assert "chain intact: 2 events" in out


@pytest.mark.django_db
def test_time_in_the_chain_never_goes_backwards():
    first = audit_record(action="read")
    with time_machine.travel(timezone.now() - timedelta(hours=1), tick=False):
        second = audit_record(action="read")
    assert second.at >= first.at
    assert chain_verify().intact


def test_the_migration_puts_the_append_only_triggers_back(transactional_db, settings):
    from importlib import import_module

    migration = import_module("amparo.accounts.migrations.0007_audit_hash_chain")
    triggers = import_module("amparo.accounts.migrations.0002_roles_and_append_only_audit")
    audit_record(action="read", note="kept")
    settings.TESTING = False
    try:
        with connection.schema_editor() as editor:
            migration.reinstall_triggers(None, editor)
        with (
            pytest.raises(Exception, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"UPDATE {TABLE} SET note = 'rewritten'")
    finally:
        with connection.schema_editor() as editor:
            triggers.uninstall_triggers(editor)


def test_concurrent_appends_never_fork_the_chain(transactional_db):
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def append() -> None:
        try:
            start.wait()
            for i in range(15):
                audit_record(action="read", note=f"n{i}")
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    report = chain_verify()
    assert report.intact, report
    hashes = list(AuditEvent.objects.order_by("id").values_list("prev_hash", flat=True))
    assert len(hashes) == len(set(hashes)) == 60


@pytest.mark.django_db
def test_a_cut_off_end_is_caught_with_the_last_hash_kept(network_a):
    events = _events(5, network=network_a)
    kept = _verify().rsplit("last hash: ", 1)[1].split()[0]
    assert kept == events[-1].row_hash
    _raw(f"DELETE FROM {TABLE} WHERE id >= %s", [events[3].id])

    assert chain_verify().intact  # what the chain alone cannot see…
    report = chain_verify(last_hash=kept)  # …the hash kept elsewhere can
    assert not report.intact and "cut off" in report.reason
    with pytest.raises(CommandError, match="chain cut off") as caught:
        call_command("audit", "verify", "--last-hash", kept, stdout=StringIO())
    assert caught.value.returncode == 1


@pytest.mark.django_db
def test_the_last_hash_kept_still_verifies_as_the_log_grows(network_a):
    kept = _events(2, network=network_a)[-1].row_hash
    _events(3, network=network_a)
    out = StringIO()
    call_command("audit", "verify", "--last-hash", kept.upper(), stdout=out)
    assert "the event with the hash you kept is there, 3 after it" in out.getvalue()
    with pytest.raises(CommandError, match="64 hexadecimal"):
        call_command("audit", "verify", "--last-hash", "not-a-hash", stdout=StringIO())
