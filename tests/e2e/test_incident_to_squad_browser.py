"""A dispatcher gets from a confirmed incident to the squad by clicks alone (issue 12,
point 1): log in → the dashboard lists the confirmed incident → its page → "Send the
squad…" → the Respond page names the incident → preview, send → the board names the
incident and links back to it. After the login page the test never types an address.

A screenshot per step (1280 px wide, and the incident page at 390 px) goes to
var/test/e2e-incident-to-squad/."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from amparo.alerts.demo import seed_alerts
from amparo.alerts.models import Alert, AlertKind
from amparo.conftest import make_network, make_user
from amparo.people.services import place_get_or_create
from amparo.reports.services import ReportInput, incident_transition, report_submit
from amparo.tests.factories import ResponderFactory, VerifierFactory

from .conftest import ARTEFACTS, chromium, enrol_authenticator, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SLUG = "e2e-incident-squad"
HOLYOKE = (42.2043, -72.6162)
WORKPLACE = "Empacadora Ficticia, calle Canal 12"
OUT = ARTEFACTS / "e2e-incident-to-squad"


def _seed():
    network = make_network(SLUG, "Red de Respuesta E2E")
    dispatcher = make_user(network, "dispatch@squad.example", ["dispatcher"], name="Dee")
    holyoke = place_get_or_create(
        network=network, name="Holyoke", latitude=HOLYOKE[0], longitude=HOLYOKE[1]
    )
    verifier = VerifierFactory.create(
        network=network,
        name="Persona 0170",
        phone="+14135550170",
        place=holyoke,
        trained=timezone.localdate() - timedelta(days=30),
    )
    report = report_submit(
        network=network,
        source="web",
        data=ReportInput(
            details={"activity": "ICE en la planta", "where": WORKPLACE},
            place=holyoke,
            point={"lat": HOLYOKE[0], "lng": HOLYOKE[1]},
        ),
    )
    assert report.incident is not None
    incident = incident_transition(incident=report.incident, to="confirmed", person=verifier)
    seed_alerts(network)
    for n in range(3):
        ResponderFactory.create(
            network=network,
            name=f"Persona 018{n}",
            phone=f"+1413555018{n}",
            place=holyoke,
            available_now=True,
        )
    return network, dispatcher, incident


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def test_dispatcher_clicks_from_dashboard_to_the_squad(live_server: LiveServer) -> None:
    network, dispatcher, incident = _seed()
    app = enrol_authenticator(dispatcher)
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()

    def named(status: str) -> re.Pattern[str]:
        return re.compile(
            rf"Incident {incident.pk}\W+Holyoke\W+{re.escape(WORKPLACE)}.*{status}", re.S
        )

    with chromium() as browser:
        context = browser.new_context(
            base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        try:
            log_in(page, dispatcher.email, app)  # the last page.goto: clicks from here on
            expect(page.locator("#card-incidents")).to_be_visible()
            _shot(page, "1-dashboard")
            page.locator("section[aria-labelledby=card-incidents]").get_by_role(
                "link", name=f"Incident {incident.pk} · Holyoke"
            ).click()

            expect(page).to_have_url(re.compile(rf"/incidents/{incident.pk}/$"))
            expect(page.locator("#send-help")).to_be_visible()
            _shot(page, "2-incident")
            page.set_viewport_size({"width": 390, "height": 844})
            expect(page.locator("#send-help")).to_be_in_viewport()
            _shot(page, "2-incident-390px")
            page.set_viewport_size({"width": 1280, "height": 900})
            page.locator("#send-help").click()

            expect(page).to_have_url(re.compile(rf"/alerts/{incident.pk}/respond/$"))
            expect(page.locator("#incident-named")).to_have_text(named("confirmed"))
            _shot(page, "3-respond")
            page.get_by_role("button", name="Preview plan").click()
            expect(page.locator("section.plan")).to_have_count(1)
            _shot(page, "4-plan")
            page.get_by_role("button", name="Send").click()

            expect(page).to_have_url(re.compile(rf"/alerts/board/incident/{incident.pk}/$"))
            # sending the squad moved the incident on to "responding"
            expect(page.locator("#incident-named")).to_have_text(named("responding"))
            _shot(page, "5-board")
            page.locator(f"#incident-named a[href='/incidents/{incident.pk}/']").click()
            expect(page).to_have_url(re.compile(rf"/incidents/{incident.pk}/$"))
            _shot(page, "6-back-to-incident")
        except Exception:
            _shot(page, "failure")
            raise
        finally:
            context.close()

    squad = Alert.objects.get(network=network, incident=incident)
    assert squad.kind == AlertKind.SQUAD and squad.recipients.count() == 3
