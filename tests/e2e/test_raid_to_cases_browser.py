"""From a confirmed raid to the cases of its detained workers by clicks alone (issue 17):
log in → the dashboard lists the confirmed incident → its page → "Open cases for
detained workers" → three names typed at once → the case list → one case → a transfer
→ counsel reached → the timeline shows it all → home, where the Cases card lists it.
After the login page the test never types an address.

Screenshots (1280 px, and the case page at 390 px) go to var/test/e2e-raid-to-cases/."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from amparo.alerts.models import Facility
from amparo.cases.models import Case, CaseEvent
from amparo.conftest import make_network, make_user

from .conftest import ARTEFACTS, chromium, confirmed_raid, enrol_authenticator, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OUT = ARTEFACTS / "e2e-raid-to-cases"
WORKERS = ["Ana María / Gómez Ruiz", "Luis / Torres Vega", "Rosa Elena / Díaz Cruz"]


def _seed():
    network = make_network("e2e-cases", "Red de Respuesta E2E")
    coordinator = make_user(network, "coord@cases.example", ["coordinator"], name="Cora")
    incident = confirmed_raid(network)
    for name, lat in (("Centro de Detención Norte", 42.3), ("Centro Lejano del Sur", 31.9)):
        Facility.objects.create(network=network, name=name, latitude=lat, longitude=-72.6)
    return network, coordinator, incident


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def test_confirmed_raid_to_three_cases_transfer_counsel_timeline(live_server: LiveServer) -> None:
    network, coordinator, incident = _seed()
    app = enrol_authenticator(coordinator)
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()
    # Three hours ago in the network's zone: always in the past, whatever the hour the suite runs
    detained = timezone.localtime(timezone.now() - timedelta(hours=3), network.zone())
    with chromium() as browser:
        context = browser.new_context(
            base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        try:
            log_in(page, coordinator.email, app)  # the last page.goto: clicks from here on
            _shot(page, "1-dashboard")
            page.locator("section[aria-labelledby=card-incidents]").get_by_role(
                "link", name=f"Incident {incident.pk} · Holyoke"
            ).click()
            expect(page).to_have_url(re.compile(rf"/incidents/{incident.pk}/$"))
            _shot(page, "2-incident")
            page.get_by_role("link", name="Open cases for detained workers").click()

            expect(
                page.get_by_role("heading", name="Open cases for detained workers")
            ).to_be_visible()
            page.get_by_label("Detained workers, one per line").fill("\n".join(WORKERS))
            page.get_by_label("Detained at").fill(f"{detained:%Y-%m-%dT%H:%M}")
            page.get_by_label("Facility where they were taken").select_option(
                label="Centro de Detención Norte"
            )
            _shot(page, "3-open-cases")
            page.get_by_role("button", name="Open the cases").click()

            expect(page.locator("ul.messages")).to_contain_text("3 cases opened")
            for name in ("Gómez Ruiz", "Torres Vega", "Díaz Cruz"):
                expect(page.locator("table.cases")).to_contain_text(name)
            _shot(page, "4-case-list")
            # On a phone the screening and the 72-hour clock of every case are on screen
            # (walk 7: the table was wider than the page and did not scroll).
            page.set_viewport_size({"width": 390, "height": 844})
            row = page.locator("table.cases tbody tr", has_text="Torres Vega")
            for cell in ("td.screening", "td.counsel"):
                expect(row.locator(cell)).to_be_visible()
                box = row.locator(cell).bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
            expect(row.locator("td.counsel")).to_contain_text("h left of 72")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, width
            _shot(page, "4-case-list-390px")
            page.set_viewport_size({"width": 1280, "height": 900})
            page.locator("table.cases tr", has_text="Torres Vega").get_by_role(
                "link", name=re.compile(r"^Case \d+$")
            ).click()

            expect(page.locator("h1")).to_contain_text("Luis Torres Vega")
            expect(page.locator("#locator")).to_contain_text("Luis")
            page.get_by_label("Moved to").select_option(label="Centro Lejano del Sur")
            moved = timezone.localtime(timezone.now() - timedelta(minutes=5), network.zone())
            page.get_by_label("Date and time of the transfer").fill(f"{moved:%Y-%m-%dT%H:%M}")
            page.get_by_role("button", name="Record the transfer").click()
            expect(page.locator("ul.messages")).to_contain_text("Transfer recorded")
            expect(page.locator("#case-state")).to_have_text("Transferred")
            expect(page.locator("#case-facility")).to_contain_text("Centro Lejano del Sur")

            page.get_by_role("button", name="Counsel reached the person").click()
            expect(page.locator("ul.messages")).to_contain_text("Counsel reached")
            expect(page.locator("#case-state")).to_have_text("Counsel reached")
            timeline = page.locator("#timeline")
            for line in (
                "Case opened",
                "Team changed",
                "Transferred",
                "Counsel reached the person",
            ):
                expect(timeline).to_contain_text(line)
            expect(timeline).to_contain_text("Centro de Detención Norte → Centro Lejano del Sur")
            expect(page.locator("#transfers")).to_contain_text(
                "Centro de Detención Norte → Centro Lejano del Sur"
            )
            _shot(page, "5-case")
            page.set_viewport_size({"width": 390, "height": 844})
            _shot(page, "5-case-390px")
            page.set_viewport_size({"width": 1280, "height": 900})

            page.locator("#case-incident a").click()
            expect(page.locator("#incident-cases")).to_contain_text("Torres Vega")
            _shot(page, "6-incident-lists-its-cases")
        except Exception:
            _shot(page, "failure")
            raise
        finally:
            context.close()

    cases = list(Case.objects.filter(incident=incident).order_by("id"))
    assert [c.family_names for c in cases] == ["Gómez Ruiz", "Torres Vega", "Díaz Cruz"]
    moved = cases[1]
    assert moved.counsel_reached_at is not None and moved.transfers.count() == 1
    kinds = set(CaseEvent.objects.filter(case=moved).values_list("kind", flat=True))
    assert {"opened", "transfer", "counsel"} <= kinds
