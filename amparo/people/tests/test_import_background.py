"""Imports as background work: chunks with progress, a crash resumed, cancel, the
progress page and its JSON, and an alert's fan-out that is not held up by an import."""

from __future__ import annotations

import io
import tempfile
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import close_old_connections, connections
from django.urls import reverse
from django.utils import timezone

from amparo.accounts.models import AuditEvent
from amparo.conftest import client_for
from amparo.people import importing
from amparo.people.bulk import people_bulk_write
from amparo.people.models import ImportBatch, Person, PersonPhone
from amparo.people.services import place_get_or_create

HEADER = "Name,Phone,Email,Town\n"


def make_batch(network, text: str, actor=None) -> ImportBatch:
    data = text.encode()
    return importing.import_batch_create(
        network=network, actor=actor, filename="people.csv", stream=io.BytesIO(data), size=len(data)
    )


def rows(n: int, start: int = 0) -> str:
    return "".join(
        f"Persona {i},413-55{i // 1000 % 10}-{i % 1000:04d},p{i}@example.org,\n"
        for i in range(start, start + n)
    )


class Crash(BaseException):
    """Not an Exception: like a killed process, nothing in Amparo catches it."""


def small_chunks(monkeypatch, size: int) -> None:
    for name in ("CHUNK_GROUPS", "MIN_CHUNK", "MAX_CHUNK"):
        monkeypatch.setattr(f"amparo.people.importing.work.{name}", size)


def test_a_crash_midway_resumes_where_it_stopped_without_duplicates(
    network_a, coordinator_a, monkeypatch
):
    small_chunks(monkeypatch, 4)
    batch = make_batch(network_a, HEADER + rows(20) + rows(3), actor=coordinator_a)  # 3 twice
    importing.import_batch_start(batch=batch, actor=coordinator_a, enqueue=False)
    calls = []

    def crashing(**kwargs: Any):
        calls.append(1)
        if len(calls) == 3:
            raise Crash
        return people_bulk_write(**kwargs)

    monkeypatch.setattr("amparo.people.importing.work.people_bulk_write", crashing)
    with pytest.raises(Crash):
        importing.import_batch_work(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == "running" and batch.cursor == 8  # two chunks of 4 people
    assert Person.objects.filter(network=network_a).count() == 8
    assert 0 < batch.percent < 100

    # the sweeper finds it once its heartbeat is old, and queues it again
    queued: list[int] = []
    monkeypatch.setattr("amparo.people.importing.work.import_batch_task", queued.append)
    assert importing.import_batches_resume() == 0  # still fresh
    ImportBatch.objects.filter(pk=batch.pk).update(
        heartbeat_at=timezone.now() - timedelta(minutes=5)
    )
    assert importing.import_batches_resume() == 1 and queued == [batch.pk]

    monkeypatch.setattr("amparo.people.importing.work.people_bulk_write", people_bulk_write)
    importing.import_batch_work(batch_id=batch.pk)  # what the queued task runs
    batch.refresh_from_db()
    assert batch.status == "imported" and batch.payload is None and batch.percent == 100
    assert (batch.created_count, batch.row_count) == (20, 23)
    assert Person.objects.filter(network=network_a).count() == 20
    assert PersonPhone.objects.filter(person__network=network_a).count() == 20
    # one audit event per person, written with their chunk
    assert AuditEvent.objects.filter(target_type="people.person", action="create").count() == 20
    importing.import_batch_work(batch_id=batch.pk)  # a late duplicate of the task: nothing
    assert Person.objects.filter(network=network_a).count() == 20


def test_the_bulk_path_merges_like_person_upsert(network_a):
    place = place_get_or_create(network=network_a, name="Holyoke", latitude=42.2, longitude=-72.6)
    known = make_batch(network_a, "Name,Phone,Town\nAna Ruiz,413-555-0101,\n")
    importing.import_batch_run(batch=known)
    ana = Person.objects.get(network=network_a)
    text = "Name,Phone,Email,Town\nOtra,413-555-0101,ana@example.org,Holyoke\n"
    outcome = importing.import_batch_run(batch=make_batch(network_a, text))
    assert (outcome.created, outcome.updated) == (0, 1)
    ana.refresh_from_db()
    assert ana.name == "Ana Ruiz"  # an import never renames someone already there
    assert ana.email == "ana@example.org"
    assert [a.place_id for a in ana.areas.all()] == [place.pk]
    assert ana.coverage.filter(cell=place.h3_cell).exists()
    fields = AuditEvent.objects.filter(target_id=str(ana.pk), action="update").get().fields
    assert fields == ["areas", "email"]


def test_cancel_stops_the_import_and_drops_the_rows(network_a, coordinator_a, monkeypatch):
    small_chunks(monkeypatch, 2)
    batch = make_batch(network_a, HEADER + rows(10), actor=coordinator_a)
    importing.import_batch_start(batch=batch, actor=coordinator_a, enqueue=False)

    def stop_after_first(b: ImportBatch) -> None:
        importing.import_batch_cancel(batch=b, actor=coordinator_a)

    importing.import_batch_work(batch_id=batch.pk, on_progress=stop_after_first)
    batch.refresh_from_db()
    assert batch.status == "cancelled" and batch.payload is None
    assert Person.objects.filter(network=network_a).count() == 2
    page = client_for(coordinator_a).get(reverse("people:import_preview", args=[batch.pk]))
    assert "stopped after 2 of 10 rows" in page.content.decode()


def test_the_progress_page_shows_the_bar_and_the_problems_found(
    network_a, coordinator_a, volunteer_a
):
    text = HEADER + "Ana,not a phone,,\n" + rows(5)
    batch = make_batch(network_a, text, actor=coordinator_a)
    client = client_for(coordinator_a)
    page_url = reverse("people:import_preview", args=[batch.pk])
    form = {"col-0": "name", "col-1": "phone", "col-2": "email", "col-3": "place"}
    form |= {"cell-0-0": "Ana", "cell-0-1": "not a phone", "cell-0-2": "", "cell-0-3": ""}
    response = client.post(page_url, {**form, "skip_errors": "on", "action": "import"})
    assert response.status_code == 302
    page = client.get(page_url).content.decode()
    assert '<progress id="import-bar" max="100" value="16">' in page  # 1 of 6 rows: skipped
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert "amparo/progress." in page and "<script>" not in page  # no inline script
    assert "Row 2:" in page and "This is not a phone number." in page  # found by the check
    progress = client.get(reverse("people:import_progress", args=[batch.pk])).json()
    assert progress == {
        "status": "queued",
        "active": True,
        "done": 1,  # the row with a problem is skipped: done at once
        "total": 6,
        "percent": 16,
        "created": 0,
        "updated": 0,
        "problems": 1,
    }
    # a person who may not manage members sees neither the page nor its progress
    volunteer = client_for(volunteer_a)
    assert volunteer.get(reverse("people:import_progress", args=[batch.pk])).status_code == 403
    # the import page lists it among the unfinished ones; stop it from its page
    assert page_url in client.get(reverse("people:import")).content.decode()
    response = client.post(page_url, {"action": "cancel"}, follow=True)
    assert "The import was stopped." in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == "cancelled" and batch.payload is None
    assert not client.get(reverse("people:import_progress", args=[batch.pk])).json()["active"]


# --- an alert during an import (SQLite: one writer at a time) -------------------------

#: The issue's size (10,000 rows, about 15 s here); ``python -m bench.people_import``
#: imports as many with an alert's fan-out beside it, and measures both.
SUITE_ROWS = 10_000
RECIPIENTS = 200


@pytest.mark.django_db(transaction=True)
def test_an_alert_fans_out_while_a_large_import_runs(network_a, settings):
    from amparo.alerts import outbox
    from amparo.alerts.tests.test_outbox import make_alert, make_people
    from amparo.channels import outbox as engine
    from amparo.channels.models import Delivery
    from bench.people_import import TOWNS, _write_csv

    settings.ALERT_RATE_PER_SECOND = {"sandbox": 1000}
    for k, town in enumerate(TOWNS):
        place_get_or_create(network=network_a, name=town, latitude=42.1 + k / 10, longitude=-72.6)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "people.csv"
        _write_csv(path, SUITE_ROWS)
        data = path.read_bytes()
    batch = importing.import_batch_create(
        network=network_a,
        actor=None,
        filename="people.csv",
        stream=io.BytesIO(data),
        size=len(data),
    )
    importing.import_batch_start(batch=batch, skip_errors=True, enqueue=False)
    alert, recipients = make_alert(network_a, make_people(network_a, RECIPIENTS))
    errors: list[BaseException] = []

    def work() -> None:
        try:
            importing.import_batch_work(batch_id=batch.pk)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    worker = threading.Thread(target=work)
    worker.start()
    try:
        while ImportBatch.objects.get(pk=batch.pk).cursor == 0 and worker.is_alive():
            threading.Event().wait(0.02)
        assert worker.is_alive(), "the import ended before the alert: make it larger"
        assert outbox.alert_rows_write(alert=alert, rows=recipients) == RECIPIENTS
        during = ImportBatch.objects.get(pk=batch.pk)
        for _ in range(50):
            engine.outbox_drain(sender="sandbox")
            if not Delivery.objects.filter(alert=alert, status__in=["queued", "sending"]).exists():
                break
    finally:
        worker.join(timeout=120)
        close_old_connections()
    assert not errors, errors
    assert during.status == "running" and during.done_count < SUITE_ROWS
    statuses = list(Delivery.objects.filter(alert=alert).values_list("status", "error"))
    assert statuses == [("sent", "")] * RECIPIENTS  # none "database is locked"
    batch.refresh_from_db()
    assert batch.status == "imported" and batch.done_count == SUITE_ROWS
    first_sent = Delivery.objects.filter(alert=alert).order_by("sent_at").first()
    assert first_sent is not None and first_sent.sent_at < batch.finished_at


@pytest.mark.parametrize(("purpose", "waits"), [("reply", True), ("message", False)])
def test_an_import_waits_while_live_messages_are_due(network_a, monkeypatch, purpose, waits):
    """An alert (live work, OUTBOX_PRIORITIES 0) due now: the import stops writing until
    the outbox has sent it; bulk messages only get a short yield per chunk."""
    from amparo.channels.models import Delivery
    from amparo.channels.outbox import outbox_write

    small_chunks(monkeypatch, 5)
    batch = make_batch(network_a, HEADER + rows(10))
    importing.import_batch_start(batch=batch, enqueue=False)
    due = outbox_write(
        network=network_a, channel="sandbox", to="+14135550100", body="x", purpose=purpose
    )
    naps: list[float] = []

    def nap(seconds: float) -> None:  # the outbox sends the text after a few naps
        naps.append(seconds)
        if len(naps) == 4:
            Delivery.objects.filter(pk=due.pk).update(status="sent")

    monkeypatch.setattr("amparo.people.importing.work.time.sleep", nap)
    importing.import_batch_work(batch_id=batch.pk)
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.IMPORTED
    assert (len(naps) >= 4) is waits, naps  # one yield per chunk (2) without live work


def test_the_task_writes_a_few_seconds_then_queues_the_rest(network_a, monkeypatch):
    small_chunks(monkeypatch, 3)
    monkeypatch.setattr("amparo.people.importing.work.TASK_SECONDS", 0.0)
    batch = make_batch(network_a, HEADER + rows(7))
    importing.import_batch_start(batch=batch, enqueue=False)
    runs: list[int] = []
    task = importing.import_batch_task.call_local  # the function itself, run here

    def queue_again(batch_id: int) -> None:
        runs.append(batch_id)
        task(batch_id)

    monkeypatch.setattr("amparo.people.importing.work.import_batch_task", queue_again)
    task(batch.pk)
    assert runs == [batch.pk, batch.pk]  # 3 + 3 + 1 people: three runs, two re-queued
    batch.refresh_from_db()
    assert batch.status == "imported" and batch.created_count == 7


@pytest.mark.django_db
def test_a_finished_import_stays_reachable_from_the_import_page(network_a, coordinator_a):
    """Its rows with problems are the coordinator's to-do list: once the progress page is
    left, the import page must still lead back to it (before, only unfinished ones did)."""
    batch = make_batch(network_a, HEADER + rows(2), actor=coordinator_a)
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.IMPORTED, finished_at=timezone.now(), created_count=2
    )
    page = client_for(coordinator_a).get(reverse("people:import")).content.decode()
    assert "Recent imports" in page
    assert reverse("people:import_preview", args=[batch.pk]) in page
