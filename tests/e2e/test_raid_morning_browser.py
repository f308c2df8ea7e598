"""Raid morning, the dispatcher's side, by clicks alone (issue 12's "Done when").

A dispatcher logs in → the dashboard lists the confirmed incident → its page → "Send
help" → the Respond page names the incident → the squad and the legal team → preview →
send → the board. Then, on phones (390 px), three responders answer on the sandbox
phone and open the link in Amparo's text: their page shows the workplace and its
address. Two attorneys confirm for the nearest holding facility. Back at the desk, the
board says three are going and the legal team is confirmed at the facility.

A real Huey worker delivers every text through the one outbox. After the login pages
the test never types an address (no ``page.goto``). A screenshot per step goes to
var/test/e2e-raid-morning/."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from amparo.alerts.demo import seed_alerts
from amparo.alerts.models import Alert, AlertKind
from amparo.conftest import huey_consumer, make_network, make_user  # noqa: F401
from amparo.people.services import place_get_or_create
from amparo.reports.services import ReportInput, incident_transition, report_submit
from amparo.tests.factories import PersonFactory, ResponderFactory, VerifierFactory

from .conftest import ARTEFACTS, chromium, enrol_authenticator, log_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("huey_consumer"),
]

SLUG = "e2e-raid-morning"
HOLYOKE = (42.2043, -72.6162)
WORKPLACE = "Empacadora Ficticia"
ADDRESS = "calle Canal 12, Holyoke"
RESPONDERS = {"Rosa Ficticia": "+14135550181", "Beto Ficticio": "+14135550182"}
RESPONDERS["Carmen Ficticia"] = "+14135550183"
ATTORNEYS = {"Abogada Ficticia": "+14135550191", "Abogado Ficticio": "+14135550192"}
OUT = ARTEFACTS / "e2e-raid-morning"


def _seed():
    network = make_network(SLUG, "Red de Respuesta E2E")
    dispatcher = make_user(network, "dispatch@raid.example", ["dispatcher"], name="Dee")
    holyoke = place_get_or_create(
        network=network, name="Holyoke", latitude=HOLYOKE[0], longitude=HOLYOKE[1]
    )
    verifier = VerifierFactory.create(
        network=network, name="Persona 0170", phone="+14135550170", place=holyoke
    )
    report = report_submit(
        network=network,
        source="web",
        data=ReportInput(
            details={"activity": "ICE en la planta", "where": f"{WORKPLACE}, {ADDRESS}"},
            place=holyoke,
            point={"lat": HOLYOKE[0], "lng": HOLYOKE[1]},
        ),
    )
    assert report.incident is not None
    incident = incident_transition(incident=report.incident, to="confirmed", person=verifier)
    seed_alerts(network)
    for name, phone in RESPONDERS.items():
        ResponderFactory.create(
            network=network, name=name, phone=phone, place=holyoke, available_now=True
        )
    for name, phone in ATTORNEYS.items():
        PersonFactory.create(
            network=network,
            name=name,
            phone=phone,
            roles=["attorney"],
            trained=True,
            place=holyoke,
        )
    return network, dispatcher, incident


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def _click_until(page: Page, refresh: Locator, target: Locator, seconds: float = 30) -> None:
    """Click ``refresh`` (a link on the page, as a person would) until ``target`` shows:
    texts arrive when the worker has sent them, not at once."""
    deadline = time.monotonic() + seconds
    while not target.count():
        assert time.monotonic() < deadline, f"never appeared: {target}"
        time.sleep(0.5)
        refresh.click()


def _open_phone(page: Page, name: str) -> None:
    """From anywhere: the sandbox phone → search the person's name → their thread."""
    page.get_by_role("navigation").get_by_role("link", name="Sandbox phone", exact=True).click()
    page.get_by_label("Number or name").fill(name)
    page.get_by_role("button", name="Search").click()
    page.locator("#sandbox-threads").get_by_role("link", name=re.compile(re.escape(name))).click()


def test_raid_morning_by_clicks(live_server: LiveServer) -> None:
    network, dispatcher, incident = _seed()
    app = enrol_authenticator(dispatcher, apps=2)
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()

    with chromium() as browser:
        desk = browser.new_context(
            base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
        )
        phones = browser.new_context(
            base_url=live_server.url, locale="en-US", viewport={"width": 390, "height": 844}
        )
        page = desk.new_page()
        phone = phones.new_page()
        try:
            # --- the dispatcher, at a desk ------------------------------------------
            log_in(page, dispatcher.email, app)  # the last page.goto: clicks from here on
            _shot(page, "01-dashboard")
            page.locator("section[aria-labelledby=card-incidents]").get_by_role(
                "link", name=re.compile(rf"Incident {incident.pk}\b")
            ).click()
            expect(page.locator("main")).to_contain_text(WORKPLACE)
            _shot(page, "02-incident")
            page.locator("#send-help").click()

            expect(page.locator("#incident-named")).to_contain_text(WORKPLACE)
            page.get_by_label("Legal-team call-out to attorneys").check()
            _shot(page, "03-respond")
            page.get_by_role("button", name="Preview plan").click()
            expect(page.locator("section.plan")).to_have_count(2)
            _shot(page, "04-plan")
            page.get_by_role("button", name="Send").click()
            expect(page).to_have_url(re.compile(rf"/alerts/board/incident/{incident.pk}/$"))
            _shot(page, "05-board-sent")

            # --- the responders, on their phones --------------------------------------
            log_in(phone, dispatcher.email, app)  # the sandbox phone stands in for theirs
            for n, name in enumerate(RESPONDERS, start=1):
                _open_phone(phone, name)
                text = phone.locator("li.bubble.out").first
                _click_until(phone, phone.get_by_role("link", name="Refresh"), text)
                expect(text).to_contain_text(WORKPLACE)
                phone.get_by_label("Reply as this person").fill("1")
                phone.get_by_role("button", name="Send reply").click()
                _shot(phone, f"06-responder-{n}-answered")
                text.get_by_role("link").first.click()  # Amparo's link in its own text
                main = phone.locator("main")
                expect(main).to_contain_text(WORKPLACE)
                expect(main).to_contain_text(ADDRESS)
                _shot(phone, f"07-responder-{n}-link-page")
                phone.go_back()

            # --- the attorneys ----------------------------------------------------------
            for n, name in enumerate(ATTORNEYS, start=1):
                _open_phone(phone, name)
                text = phone.locator("li.bubble.out").first
                _click_until(phone, phone.get_by_role("link", name="Refresh"), text)
                phone.get_by_label("Reply as this person").fill("1")
                phone.get_by_role("button", name="Send reply").click()
                _shot(phone, f"08-attorney-{n}-answered")

            # --- back at the desk: the board (live) says so -----------------------------
            squad = page.locator("section.board-alert", has_text=re.compile("squad", re.I))
            legal = page.locator("section.board-alert", has_text=re.compile("legal", re.I))
            expect(squad.locator("[data-field=going]")).to_have_text("3", timeout=30_000)
            expect(legal.locator("[data-field=attorneys_confirmed]")).to_have_text(
                "2", timeout=30_000
            )
            expect(legal).to_contain_text("Fictional ICE Processing Center")
            expect(legal.locator("[data-field=legal_enough]")).to_have_text("enough")
            _shot(page, "09-board-answered")
        except Exception:
            _shot(page, "failure-desk")
            _shot(phone, "failure-phone")
            raise
        finally:
            desk.close()
            phones.close()

    squad = Alert.objects.get(network=network, kind=AlertKind.SQUAD)
    legal = Alert.objects.get(network=network, kind=AlertKind.LEGAL)
    assert squad.recipients.filter(status="going").count() == 3
    assert legal.recipients.filter(status="going").count() == 2
    assert legal.facility is not None and "Processing Center" in legal.facility.name
