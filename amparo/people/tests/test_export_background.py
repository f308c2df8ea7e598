"""A large export, once approved, is made by the worker (export_files.py): the same rows
as an export made at once, sealed on disk (never a name or a number in clear), shown
as a progress bar to the person who asked, downloaded once, then deleted; deleted at
expiry too; another network sees none of it."""

from __future__ import annotations

import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from amparo.accounts.models import AuditEvent
from amparo.conftest import client_for
from amparo.people import export_files
from amparo.people.export_requests import DOWNLOAD_VALID
from amparo.people.exporting import people_export
from amparo.people.filters import PeopleFilter
from amparo.people.importing import import_apply, import_check, import_file_read
from amparo.people.models import ExportRequest

from .test_export import approve, approver_a, ask, csv_rows, download, people  # noqa: F401

EXPORT = reverse("people:export")
PEOPLE = 240


@pytest.fixture
def many(network_a, people, settings, tmp_path, monkeypatch):  # noqa: F811
    """PEOPLE more people (through the import's bulk path), exports of more than 50
    made by the worker, in chunks of 64, into a directory of this test's own."""
    lines = ["Name,Phone,Email,Preferred language"]
    lines += [
        f"Persona Prueba{i:03d},+1413556{i:04d},p{i}@example.org,{'es' if i % 2 else 'en'}"
        for i in range(PEOPLE)
    ]
    data = ("\n".join(lines) + "\n").encode()
    payload = import_file_read(filename="m.csv", stream=io.BytesIO(data), size=len(data))
    import_apply(network=network_a, check=import_check(network=network_a, payload=payload))
    settings.EXPORT_IMMEDIATE_MAX = 50
    settings.EXPORT_FILES_DIR = tmp_path / "exports"
    monkeypatch.setattr(export_files, "EXPORT_CHUNK", 64)
    monkeypatch.setattr("amparo.people.exporting.EXPORT_CHUNK", 64)
    return PEOPLE + len(people)


def approved(requester, approver, file_format="csv") -> ExportRequest:
    request = ask(requester, EXPORT, {"format": file_format})
    assert approve(approver, request).status_code == 302
    request.refresh_from_db()
    return request


def sealed_files(settings) -> list[Path]:
    directory = Path(settings.EXPORT_FILES_DIR)
    return sorted(directory.iterdir()) if directory.is_dir() else []


def sheet_rows(content: bytes) -> list[list[str]]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    assert sheet is not None
    return [["" if c is None else str(c) for c in row] for row in sheet.iter_rows(values_only=True)]


@pytest.mark.django_db
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_worker_makes_the_same_rows_as_an_export_made_at_once(
    network_a, coordinator_a, approver_a, many, settings, file_format
):
    request = approved(coordinator_a, approver_a, file_format)
    assert request.status == "approved" and request.file_state == "queued"
    assert request.file_total == many and request.file_key and request.file_token
    # not ready yet: refused, and the approval is not spent
    response = client_for(coordinator_a).post(
        reverse("people:export_download", args=[request.pk]), follow=True
    )
    assert "This export is still being prepared." in response.content.decode()
    request.refresh_from_db()
    assert request.status == "approved"

    export_files.export_file_work(request.pk)
    request.refresh_from_db()
    assert (request.file_state, request.file_done, request.rows) == ("ready", many, many)
    assert [p.suffix for p in sealed_files(settings)] == [".sealed"]  # the rows' file is gone

    response = download(coordinator_a, request)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    at_once = people_export(
        network=network_a, actor=None, people_filter=PeopleFilter(), file_format=file_format
    ).content
    read = csv_rows if file_format == "csv" else sheet_rows
    assert read(response.content) == read(at_once)
    assert len(read(response.content)) == many + 1  # and the headings
    note = f"people {file_format} rows={many}"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, note=note).exists()
    assert "Prueba" not in "".join(AuditEvent.objects.values_list("note", flat=True))


@pytest.mark.django_db
def test_the_sealed_file_holds_no_name_or_number_in_clear(
    coordinator_a, approver_a, many, settings, monkeypatch
):
    request = approved(coordinator_a, approver_a)
    content = export_files.export_content
    seen: list[bytes] = []

    def look(rows, file_format):  # the rows' file, as the worker has written it
        seen.extend(p.read_bytes() for p in sealed_files(settings))
        return content(rows, file_format)

    monkeypatch.setattr(export_files, "export_content", look)
    export_files.export_file_work(request.pk)
    seen.extend(p.read_bytes() for p in sealed_files(settings))
    assert len(seen) == 2 and all(len(raw) > 1000 for raw in seen)
    for raw in seen:
        for clear in (b"Prueba", b"Persona", "López".encode(), b"4135560007", b"p7@example"):
            assert clear not in raw
        assert b"Name" not in raw and b"PK\x03\x04" not in raw  # no heading, no zip


@pytest.mark.django_db
def test_a_second_download_is_refused_and_the_file_is_deleted_after_the_first(
    coordinator_a, approver_a, many, settings
):
    request = approved(coordinator_a, approver_a)
    export_files.export_file_work(request.pk)
    assert sealed_files(settings)
    assert download(coordinator_a, request).status_code == 200
    assert sealed_files(settings) == []
    request.refresh_from_db()
    assert (request.status, request.file_state, request.file_key) == (
        "downloaded",
        "deleted",
        None,
    )
    again = client_for(coordinator_a).post(
        reverse("people:export_download", args=[request.pk]), follow=True
    )
    assert "Content-Disposition" not in again
    assert "This export was downloaded already." in again.content.decode()


@pytest.mark.django_db
def test_the_file_is_deleted_at_expiry_and_orphans_with_it(
    coordinator_a, approver_a, many, settings
):
    request = approved(coordinator_a, approver_a)
    export_files.export_file_work(request.pk)
    request.refresh_from_db()  # each run names its files
    orphan = Path(settings.EXPORT_FILES_DIR) / "0123456789abcdef.sealed"
    orphan.write_bytes(b"left by a crash")
    assert export_files.export_files_sweep() == 0  # it might be a file being written
    old = (timezone.now() - export_files.STALE_AFTER - timedelta(minutes=1)).timestamp()
    for path in sealed_files(settings):
        os.utime(path, (old, old))
    assert export_files.export_files_sweep() == 1  # the orphan only: the export waits
    assert [p.name for p in sealed_files(settings)] == [f"{request.file_token}.sealed"]
    with time_machine.travel(timezone.now() + DOWNLOAD_VALID + timedelta(minutes=1)):
        assert export_files.export_files_sweep() == 1
        assert sealed_files(settings) == []
        request.refresh_from_db()
        assert (request.file_state, request.file_key) == ("deleted", None)
        response = download(coordinator_a, request)
        assert response.status_code == 302 and "Content-Disposition" not in response


@pytest.mark.django_db
def test_a_stopped_worker_is_started_again_by_the_sweeper(
    coordinator_a, approver_a, many, settings, monkeypatch
):
    queued: list[int] = []
    monkeypatch.setattr(export_files, "export_file_task", queued.append)
    request = approved(coordinator_a, approver_a)
    ExportRequest.objects.filter(pk=request.pk).update(file_state="running")
    assert export_files.export_files_sweep() == 0  # still fresh
    with time_machine.travel(timezone.now() + export_files.STALE_AFTER + timedelta(seconds=5)):
        assert export_files.export_files_sweep() == 1 and queued == [request.pk]
    export_files.export_file_work(request.pk)
    request.refresh_from_db()
    assert request.file_state == "ready"


@pytest.mark.django_db
def test_the_requester_sees_the_progress_and_no_one_else(
    coordinator_a, approver_a, coordinator_b, many
):
    request = approved(coordinator_a, approver_a)
    ExportRequest.objects.filter(pk=request.pk).update(file_state="running", file_done=64)
    page = client_for(coordinator_a).get(reverse("people:export_requests")).content.decode()
    bar = f'<progress id="export-{request.pk}-bar" max="100" value="{64 * 100 // many}">'
    assert bar in page and "amparo/progress." in page
    assert "Download (once)" not in page
    progress = reverse("people:export_progress", args=[request.pk])
    data = client_for(coordinator_a).get(progress).json()
    assert data == {
        "status": "running",
        "active": True,
        "done": 64,
        "total": many,
        "percent": 64 * 100 // many,
    }
    assert client_for(approver_a).get(progress).status_code == 404  # not the requester
    assert client_for(coordinator_b).get(progress).status_code == 404  # another network
    assert download(coordinator_b, request).status_code == 404
    request.refresh_from_db()
    assert request.status == "approved"


@pytest.mark.django_db
def test_a_small_export_is_still_made_at_once(coordinator_a, approver_a, people, settings):  # noqa: F811
    settings.EXPORT_IMMEDIATE_MAX = 1000
    request = approved(coordinator_a, approver_a)
    assert request.file_state == "" and not request.file_key
    response = download(coordinator_a, request)
    assert response.status_code == 200 and len(csv_rows(response.content)) == len(people) + 1


@pytest.mark.django_db
def test_a_file_lost_from_the_disk_is_said_plainly(coordinator_a, approver_a, many, settings):
    request = approved(coordinator_a, approver_a)
    export_files.export_file_work(request.pk)
    for path in sealed_files(settings):
        path.unlink()
    response = client_for(coordinator_a).post(
        reverse("people:export_download", args=[request.pk]), follow=True
    )
    assert response.status_code == 200 and "Content-Disposition" not in response
    assert "This export could not be prepared." in response.content.decode()
    request.refresh_from_db()
    assert (request.file_state, request.file_key) == ("deleted", None)


@pytest.mark.django_db
def test_a_second_task_for_an_export_being_made_leaves_the_first_alone(
    coordinator_a, approver_a, many, settings, monkeypatch
):
    """Two tasks for one export (the approval's and the sweeper's, when the queue was
    slow to start the first): the second must not make the file again under the first,
    nor may either delete the other's file. The second starts during the first one's
    first chunk here."""
    request = approved(coordinator_a, approver_a)
    rows_for = export_files.export_rows_for
    started: list[bool] = []

    def second_task_meanwhile(**kwargs):
        if not started:
            started.append(True)
            export_files.export_file_work(request.pk)
        return rows_for(**kwargs)

    monkeypatch.setattr(export_files, "export_rows_for", second_task_meanwhile)
    export_files.export_file_work(request.pk)
    request.refresh_from_db()
    assert request.file_state == "ready"
    assert [p.suffix for p in sealed_files(settings)] == [".sealed"]
    response = download(coordinator_a, request)
    assert response.status_code == 200 and len(csv_rows(response.content)) == many + 1


@pytest.mark.django_db
def test_an_export_file_still_opens_after_the_master_key_is_rotated(
    coordinator_a, approver_a, many, settings
):
    from django.test import override_settings

    from amparo.lib.crypto import keys
    from amparo.lib.crypto.rotation import rotate_master_key
    from amparo.lib.tests.test_crypto import NEW, OLD

    request = approved(coordinator_a, approver_a)
    export_files.export_file_work(request.pk)
    try:
        with override_settings(MASTER_KEYS_RAW=f"{NEW},{OLD}"):
            keys.reset_cache()
            # two keys: the request's own (its sealed reason) and its file's
            assert rotate_master_key()["people.ExportRequest"] == 2
        with override_settings(MASTER_KEYS_RAW=NEW):  # the old key is gone
            keys.reset_cache()
            response = download(coordinator_a, request)
            assert response.status_code == 200
            assert len(csv_rows(response.content)) == many + 1
    finally:
        keys.reset_cache()


@pytest.mark.django_db
@pytest.mark.parametrize("cut", ["last frame", "last two frames", "half a frame", "everything"])
def test_an_export_file_cut_short_does_not_open(
    coordinator_a, approver_a, many, settings, monkeypatch, cut
):
    monkeypatch.setattr(export_files, "FRAME_BYTES", 4096)
    request = approved(coordinator_a, approver_a)
    export_files.export_file_work(request.pk)
    request.refresh_from_db()
    [path] = sealed_files(settings)
    raw, ends = path.read_bytes(), [0]
    while ends[-1] < len(raw):  # where each frame ends
        ends.append(ends[-1] + 4 + int.from_bytes(raw[ends[-1] : ends[-1] + 4], "big"))
    assert len(ends) > 4  # several frames
    keep = {"last frame": ends[-2], "last two frames": ends[-3], "everything": 0}
    path.write_bytes(raw[: keep.get(cut, ends[-1] - 10)])
    response = download(coordinator_a, request)
    assert response.status_code == 302 and "Content-Disposition" not in response
    request.refresh_from_db()
    assert (request.file_state, request.file_key, sealed_files(settings)) == ("deleted", None, [])
