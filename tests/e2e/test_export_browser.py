"""A coordinator exports a saved segment of a few hundred people: asks for it from the
segment's page, a second coordinator approves it, and the first watches the progress
bar while a real background worker prepares the sealed file, then downloads it once.
Everything by clicks after the log-in."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from amparo.accounts.models import Role
from amparo.accounts.roles import sync_default_roles
from amparo.conftest import huey_consumer, make_network, make_user, wait_for  # noqa: F401
from amparo.people import export_files
from amparo.people.filters import PeopleFilter
from amparo.people.importing import import_apply, import_check, import_file_read
from amparo.people.models import ExportRequest
from amparo.people.segments import segment_save

from .conftest import ARTEFACTS, chromium, enrol_authenticator, log_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("huey_consumer"),
]

ROWS = 300  # two in three speak Spanish: the segment holds 200
CHUNK = 20


def _people(network: Any) -> None:
    lines = ["Name,Phone,Preferred language"]
    lines += [
        f"Persona Exportada{i:03d},+1413557{i:04d},{'en' if i % 3 == 0 else 'es'}"
        for i in range(ROWS)
    ]
    data = ("\n".join(lines) + "\n").encode()
    payload = import_file_read(filename="m.csv", stream=io.BytesIO(data), size=len(data))
    import_apply(network=network, check=import_check(network=network, payload=payload))


def _bar_value(page: Page) -> int | None:
    try:
        value = page.evaluate(
            "() => { const b = document.querySelector('article progress');"
            " return b ? Number(b.value) : null }"
        )
    except PlaywrightError:  # the page was reloading: read again on the next turn
        return -1
    return None if value is None else int(value)


def test_a_segment_is_exported_in_the_background_and_downloaded_once(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(settings, "EXPORT_IMMEDIATE_MAX", 50)
    monkeypatch.setattr(settings, "EXPORT_FILES_DIR", tmp_path / "exports")
    monkeypatch.setattr(export_files, "EXPORT_CHUNK", CHUNK)
    rows_for = export_files.export_rows_for

    def slow_rows(**kwargs: Any) -> list[list[str]]:  # ten chunks the bar can be seen at
        time.sleep(0.4)
        return rows_for(**kwargs)

    monkeypatch.setattr(export_files, "export_rows_for", slow_rows)
    sync_default_roles(Role)
    network = make_network("e2e-export", "Red E2E")
    asker = make_user(network, "pide@export.example", ["coordinator"], name="Pide")
    approver = make_user(network, "aprueba@export.example", ["coordinator"], name="Aprueba")
    asker_app, approver_app = enrol_authenticator(asker), enrol_authenticator(approver)
    _people(network)
    segment_save(
        network=network, name="Hablan español", people_filter=PeopleFilter(languages=["es"])
    )
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    seen: list[int] = []
    with chromium() as browser:
        first = browser.new_context(base_url=live_server.url, locale="en-US")
        second = browser.new_context(base_url=live_server.url, locale="en-US")
        page, other = first.new_page(), second.new_page()
        try:
            log_in(page, asker.email, asker_app)
            page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
            page.get_by_role("link", name="Saved segments").click()
            page.get_by_role("link", name="Hablan español").click()
            page.get_by_role("link", name="Export this segment").click()
            expect(page.get_by_text("200 people.")).to_be_visible()
            page.get_by_label("CSV file (.csv)").check()
            page.get_by_label("Why is this list needed?").fill("Phone tree for the vigil")
            page.get_by_role("button", name="Ask for the export").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Export requests")
            page.screenshot(path=str(ARTEFACTS / "e2e-export-asked.png"), full_page=True)

            log_in(other, approver.email, approver_app)
            nav = other.get_by_role("navigation", name="Main")
            nav.get_by_role("link", name="People").click()
            other.get_by_role("link", name="1 export request is waiting for your approval.").click()
            expect(other.get_by_text("Hablan español")).to_be_visible()
            other.get_by_role("button", name="Approve").click()
            expect(other.get_by_text("Approved.", exact=False)).to_be_visible()

            nav = page.get_by_role("navigation", name="Main")
            nav.get_by_role("link", name="People").click()
            page.get_by_role("link", name="Export requests").click()
            bar = page.locator("article progress")
            expect(bar).to_be_visible()
            page.screenshot(path=str(ARTEFACTS / "e2e-export-progress.png"), full_page=True)
            for _ in range(300):  # the script moves the bar, then reloads the page
                value = _bar_value(page)
                if value is None:
                    break
                if value >= 0:
                    if 0 < value < 100 and not any(0 < v < 100 for v in seen):
                        page.screenshot(path=str(ARTEFACTS / "e2e-export-moving.png"))
                    seen.append(value)
                page.wait_for_timeout(200)
            button = page.get_by_role("button", name="Download (once)")
            expect(button).to_be_visible(timeout=30_000)
            page.screenshot(path=str(ARTEFACTS / "e2e-export-ready.png"), full_page=True)
            with page.expect_download() as download:
                button.click()
            content = Path(download.value.path()).read_bytes()
            page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
            page.get_by_role("link", name="Export requests").click()
            expect(page.locator("article[data-status=downloaded]")).to_be_visible()
            expect(page.get_by_role("button", name="Download (once)")).to_have_count(0)
            page.screenshot(path=str(ARTEFACTS / "e2e-export-downloaded.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(ARTEFACTS / "e2e-export-failure.png"), full_page=True)
            raise
        first.close()
        second.close()

    assert any(0 < v < 100 for v in seen), seen  # the bar was seen part-way
    assert seen == sorted(seen)  # and it only moved forward
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert len(rows) == 201 and rows[1][0].startswith("Persona Exportada")
    assert wait_for(lambda: ExportRequest.objects.get().file_state == "deleted")
    request = ExportRequest.objects.get()
    assert request.status == "downloaded" and request.rows == 200 and request.file_key is None
    assert list((tmp_path / "exports").iterdir()) == []
