"""A coordinator imports a spreadsheet of several thousand people: from the home page to
the import page by clicking, the preview, then the progress bar moving while a real
background worker writes the rows, and the counts when it is done."""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from amparo.accounts.models import Role
from amparo.accounts.roles import sync_default_roles
from amparo.conftest import huey_consumer, make_network, make_user, wait_for  # noqa: F401
from amparo.people.importing import work
from amparo.people.models import ImportBatch, Person
from amparo.people.services import place_get_or_create
from bench.people_import import TOWNS, _write_csv

from .conftest import ARTEFACTS, chromium, enrol_authenticator, log_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("huey_consumer"),
]

ROWS = 3_000


def _bar_value(page: Page) -> int | None:
    """The bar's value now, without waiting: None once the page has no bar (the import
    ended and the page reloaded itself, maybe in the middle of this read)."""
    try:
        value = page.evaluate(
            "() => { const b = document.querySelector('progress#import-bar');"
            " return b ? Number(b.value) : null }"
        )
    except PlaywrightError:  # the page was navigating: read again on the next turn
        return -1
    return None if value is None else int(value)


def test_a_coordinator_imports_thousands_of_people_and_watches_the_progress(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # chunks of at most 100 people (the consumer runs in this process): the bar has
    # thirty steps to be seen at, however fast the database
    monkeypatch.setattr("amparo.people.importing.work.MAX_CHUNK", 100)
    # and each chunk a little slower: the page asks every 2 s, and 3,000 rows now take
    # about a second, so the bar would be seen only before and after
    write_chunk = work._write_chunk

    def watched(*args: Any, **kwargs: Any) -> float | None:
        time.sleep(0.15)
        return write_chunk(*args, **kwargs)

    monkeypatch.setattr(work, "_write_chunk", watched)
    sync_default_roles(Role)
    network = make_network("e2e-import", "Red E2E")
    coordinator = make_user(network, "coord@import.example", ["coordinator"], name="Coord")
    app = enrol_authenticator(coordinator)
    for k, town in enumerate(TOWNS):
        place_get_or_create(network=network, name=town, latitude=42.1 + k / 10, longitude=-72.6)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "miembros.csv"
        _write_csv(path, ROWS)
        seen: list[int] = []
        with chromium() as browser:
            context = browser.new_context(base_url=live_server.url, locale="en-US")
            page = context.new_page()
            try:
                log_in(page, coordinator.email, app)
                nav = page.get_by_role("navigation", name="Main")
                nav.get_by_role("link", name="People").click()
                page.get_by_role("link", name="Import a spreadsheet").click()
                page.get_by_label("Spreadsheet", exact=True).set_input_files(str(path))
                page.get_by_role("button", name="Upload and preview").click()
                expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")
                expect(page.get_by_text(f"{ROWS} rows", exact=False).first).to_be_visible()
                page.screenshot(path=str(ARTEFACTS / "e2e-import-preview.png"), full_page=False)
                page.get_by_role("button", name="Import", exact=True).click()

                bar = page.locator("progress#import-bar")
                expect(bar).to_be_visible()
                expect(page.get_by_role("button", name="Stop this import")).to_be_visible()
                seen.append(int(bar.get_attribute("value") or 0))
                page.screenshot(path=str(ARTEFACTS / "e2e-import-progress.png"), full_page=True)
                # the script moves the bar, then reloads the page when the import ends
                for _ in range(600):
                    value = _bar_value(page)
                    if value is None:
                        break
                    if value < 0:
                        page.wait_for_timeout(200)
                        continue
                    if 0 < value < 100 and not any(0 < v < 100 for v in seen):
                        page.screenshot(path=str(ARTEFACTS / "e2e-import-moving.png"))
                    seen.append(value)
                    page.wait_for_timeout(200)
                expect(page.get_by_text(re.compile(r"^Imported on"))).to_be_visible(timeout=60_000)
                page.screenshot(path=str(ARTEFACTS / "e2e-import-done.png"), full_page=True)
            except Exception:
                page.screenshot(path=str(ARTEFACTS / "e2e-import-failure.png"), full_page=True)
                raise
            context.close()

    assert any(0 < v < 100 for v in seen), seen  # the bar was seen part-way
    assert seen == sorted(seen)  # and it only moved forward
    batch = ImportBatch.objects.get(network=network)
    assert wait_for(lambda: ImportBatch.objects.get(pk=batch.pk).status == "imported")
    batch.refresh_from_db()
    assert batch.payload is None and batch.row_count == ROWS
    assert Person.objects.filter(network=network).count() == batch.created_count > 2_500
