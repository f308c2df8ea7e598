"""The dispatcher sees and steers an alert's escalation on the board (issue 12, point 4),
by clicks alone after the login page: send the squad → the board lists each escalation
step in words with its time ("in 10 minutes") → "Skip the next step" → the voice step
runs and rings the sandbox phone → the board says "Called 3 by voice" → "Stop the
escalation" → the sandbox phone (390 px) shows "Incoming call from Amparo" with the
spoken text, and pressing 1 answers the call-out.

A screenshot per step goes to var/test/e2e-escalation/."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from amparo.alerts import tasks
from amparo.alerts.demo import seed_alerts
from amparo.alerts.models import Alert, AlertRecipient, EscalationStep
from amparo.channels.models import Delivery
from amparo.channels.outbox import outbox_drain
from amparo.conftest import make_network, make_user
from amparo.lib.phones import display_phone
from amparo.people.services import place_get_or_create
from amparo.reports.services import ReportInput, incident_transition, report_submit
from amparo.tests.factories import ResponderFactory, VerifierFactory

from .conftest import ARTEFACTS, chromium, enrol_authenticator, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HOLYOKE = (42.2043, -72.6162)
OUT = ARTEFACTS / "e2e-escalation"
FIRST = "+14135550190"


def _seed():
    network = make_network("e2e-escalation", "Red de Respuesta E2E")
    dispatcher = make_user(network, "dispatch@esc.example", ["dispatcher"], name="Dee")
    holyoke = place_get_or_create(
        network=network, name="Holyoke", latitude=HOLYOKE[0], longitude=HOLYOKE[1]
    )
    verifier = VerifierFactory.create(
        network=network, phone="+14135550170", place=holyoke, trained=timezone.localdate()
    )
    report = report_submit(
        network=network,
        source="web",
        data=ReportInput(
            details={"activity": "ICE en la planta", "where": "Empacadora Ficticia"},
            place=holyoke,
            point={"lat": HOLYOKE[0], "lng": HOLYOKE[1]},
        ),
    )
    assert report.incident is not None
    incident = incident_transition(incident=report.incident, to="confirmed", person=verifier)
    seed_alerts(network)
    for n in range(3):
        ResponderFactory.create(
            network=network, phone=f"+141355501{90 + n}", place=holyoke, available_now=True
        )
    return network, dispatcher, incident


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def _to_board(page: Page, incident_pk: int) -> None:
    page.locator("section[aria-labelledby=card-incidents]").get_by_role(
        "link", name=re.compile(rf"Incident {incident_pk}\b")
    ).click()
    page.get_by_role("link", name="Response board").click()
    expect(page).to_have_url(re.compile(rf"/alerts/board/incident/{incident_pk}/$"))


def test_dispatcher_sees_skips_and_stops_the_escalation(live_server: LiveServer) -> None:
    network, dispatcher, incident = _seed()
    app = enrol_authenticator(dispatcher)
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()

    with chromium() as browser:
        context = browser.new_context(
            base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        try:
            log_in(page, dispatcher.email, app)  # the last page.goto: clicks from here on
            page.locator("section[aria-labelledby=card-incidents]").get_by_role(
                "link", name=re.compile(rf"Incident {incident.pk}\b")
            ).click()
            page.locator("#send-help").click()
            page.get_by_role("button", name="Preview plan").click()
            page.get_by_role("button", name="Send").click()
            expect(page).to_have_url(re.compile(rf"/alerts/board/incident/{incident.pk}/$"))
            escalation = page.locator("section.board-escalation")
            expect(escalation).to_contain_text("in 10 minutes")
            expect(escalation).to_contain_text("ask more responders within 15 km by text")
            expect(escalation.locator("li.esc-planned")).to_have_count(3)
            escalation.scroll_into_view_if_needed()
            _shot(page, "1-board-planned")
            escalation.get_by_role("button", name="Skip the next step").click()
            expect(page.locator(".messages")).to_contain_text("Skipped:")
            expect(page.locator("li.esc-skipped")).to_contain_text("Skipped by the dispatcher")
            _shot(page, "2-board-skipped")
        except Exception:
            _shot(page, "failure-1")
            raise
        finally:
            context.close()

    squad = Alert.objects.get(network=network, incident=incident)
    # Fifteen minutes on: the voice step falls due and the worker's sweep runs it.
    EscalationStep.objects.filter(alert=squad, action="voice").update(
        due_at=timezone.now() - timedelta(seconds=1)
    )
    assert tasks.sweep() == 1
    outbox_drain(sender="sandbox_voice")
    calls = Delivery.objects.filter(alert=squad, channel="sandbox_voice", status="sent")
    assert calls.count() == 3
    first = next(d.recipient_id for d in calls if d.to_address == FIRST)

    with chromium() as browser:
        context = browser.new_context(
            base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            log_in(page, dispatcher.email, app)
            _to_board(page, incident.pk)
            escalation = page.locator("section.board-escalation")
            expect(escalation).to_contain_text("Called 3 by voice")
            expect(escalation).to_contain_text("Next step at")
            expect(page.locator("#board-live")).to_be_visible()  # a live update came in
            expect(escalation).to_contain_text("Called 3 by voice")  # redrawn from the feed
            assert errors == []
            escalation.scroll_into_view_if_needed()
            _shot(page, "3-board-called")
            escalation.get_by_role("button", name="Stop the escalation").click()
            expect(page.locator(".messages")).to_contain_text("no more steps will run")
            expect(page.locator("li.esc-stopped")).to_contain_text("Stopped by the dispatcher")
            expect(page.get_by_role("button", name="Stop the escalation")).to_have_count(0)
            _shot(page, "4-board-stopped")
            page.locator("#language-select").select_option(label="Español")
            with page.expect_navigation():
                page.get_by_role("button", name="Change", exact=True).click()
            escalation = page.locator("section.board-escalation")
            expect(escalation).to_contain_text("Se llamó por teléfono a 3 personas")
            expect(escalation).to_contain_text("Detenido por el despacho")
            expect(escalation).to_contain_text("Saltado por el despacho")
            _shot(page, "4-board-stopped-es")
            page.locator("#language-select").select_option(label="English")
            with page.expect_navigation():
                page.get_by_role("button", name=re.compile("Cambiar|Change")).click()

            page.set_viewport_size({"width": 390, "height": 844})
            page.get_by_role("link", name="Sandbox phone").first.click()
            page.get_by_role("link", name=display_phone(FIRST)).click()
            call = page.locator("li.call")
            expect(call).to_contain_text("Incoming call from Amparo")
            expect(call).to_contain_text("Holyoke")  # the spoken message
            _shot(page, "5-phone-call-390px")
            call.get_by_role("button", name="Press 1").click()
            expect(page.locator(".thread")).to_contain_text("Pressed 1 on the call")
            _shot(page, "6-phone-pressed-390px")
        except Exception:
            _shot(page, "failure-2")
            raise
        finally:
            context.close()

    answered = AlertRecipient.objects.get(pk=first)
    assert answered.status == "going" and answered.answered_via == "voice"
    assert not EscalationStep.objects.filter(alert=squad, done_at__isnull=True).exists()
