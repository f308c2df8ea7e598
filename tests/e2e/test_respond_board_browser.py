"""A dispatcher launches a squad and a legal call-out from the Respond page of a
confirmed incident (reached by clicks from the dashboard) and lands on the board; responders answer 1, 2 and 15 on sandbox
phones (a real Huey worker delivers); the board shows going / not going / ETA 15; past
the squad policy's first step, escalation asks a wider tier; two attorneys answer 1 and
the board shows the legal team confirmed for the nearest facility."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from amparo.alerts.demo import seed_alerts
from amparo.alerts.escalation import escalation_sweep
from amparo.alerts.models import Alert, AlertKind, AlertRecipient
from amparo.channels.models import Delivery
from amparo.channels.sandbox.models import SandboxThread
from amparo.channels.sandbox.services import sandbox_reply
from amparo.conftest import huey_consumer, make_network, make_user, wait_for  # noqa: F401
from amparo.people.services import place_get_or_create
from amparo.reports.services import ReportInput, incident_transition, report_submit
from amparo.tests.factories import PersonFactory, ResponderFactory, VerifierFactory

from .conftest import ARTEFACTS, chromium, enrol_authenticator, log_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("huey_consumer"),
]

SLUG = "e2e-respond"
HOLYOKE = (42.2043, -72.6162)
FAR = (42.3575, -72.6162)  # ~17 km north: outside tier 2 (8 km), inside the widening (15 km)
RESPONDERS = ["+14135550181", "+14135550182", "+14135550183"]
FAR_RESPONDER = "+14135550184"
ATTORNEYS = ["+14135550191", "+14135550192"]


def _thread(network, number):
    for thread in SandboxThread.objects.filter(network=network):
        if thread.number == number:
            return thread
    return None


def _seed():
    network = make_network(SLUG, "Red de Respuesta E2E")
    dispatcher = make_user(network, "dispatch@respond.example", ["dispatcher"], name="Dee")
    holyoke = place_get_or_create(
        network=network, name="Holyoke", latitude=HOLYOKE[0], longitude=HOLYOKE[1]
    )
    far = place_get_or_create(network=network, name="Lejos", latitude=FAR[0], longitude=FAR[1])
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
        data=ReportInput(details={"activity": "ICE en la planta"}, place=holyoke),
    )
    assert report.incident is not None
    incident = incident_transition(incident=report.incident, to="confirmed", person=verifier)
    seed_alerts(network)
    for phone, place in [*((p, holyoke) for p in RESPONDERS), (FAR_RESPONDER, far)]:
        ResponderFactory.create(
            network=network,
            name=f"Persona {phone[-4:]}",
            phone=phone,
            place=place,
            available_now=True,
        )
    for phone in ATTORNEYS:
        PersonFactory.create(
            network=network,
            name=f"Persona {phone[-4:]}",
            phone=phone,
            roles=["attorney"],
            place=holyoke,
        )
    return network, dispatcher, incident


def open_incident(page: Page, pk: int) -> None:
    """From the dashboard (where the log-in lands) to the incident's page, by its link."""
    page.locator("section[aria-labelledby=card-incidents]").get_by_role(
        "link", name=re.compile(rf"^Incident {pk} ·")
    ).click()
    expect(page).to_have_url(re.compile(rf"/incidents/{pk}/$"))


def open_board(page: Page, pk: int) -> None:
    open_incident(page, pk)
    page.get_by_role("link", name="Response board").click()
    expect(page).to_have_url(re.compile(rf"/alerts/board/incident/{pk}/$"))


def test_respond_to_board(live_server: LiveServer) -> None:
    network, dispatcher, incident = _seed()
    app = enrol_authenticator(dispatcher, apps=3)  # three log-ins: three apps, no waiting
    ARTEFACTS.mkdir(parents=True, exist_ok=True)

    with chromium() as browser:
        context = browser.new_context(base_url=live_server.url, locale="en-US")
        page = context.new_page()
        try:
            log_in(page, dispatcher.email, app)  # then clicks only, as a dispatcher does
            open_incident(page, incident.pk)
            page.locator("#send-help").click()
            expect(page).to_have_url(re.compile(rf"/alerts/{incident.pk}/respond/$"))
            expect(page.locator("#respond-facility")).to_contain_text("Fictional")
            page.get_by_label("Radius (km)").fill("4")
            page.get_by_label("Legal-team call-out to attorneys").check()
            page.get_by_role("button", name="Preview plan").click()
            expect(page.locator("section.plan")).to_have_count(2)
            page.get_by_role("button", name="Send").click()
            expect(page).to_have_url(re.compile(rf"/alerts/board/incident/{incident.pk}/$"))
        except Exception:
            page.screenshot(path=str(ARTEFACTS / "e2e-respond-failure.png"), full_page=True)
            raise
        context.close()

    squad = Alert.objects.get(network=network, kind=AlertKind.SQUAD)
    legal = Alert.objects.get(network=network, kind=AlertKind.LEGAL)
    assert squad.recipients.count() == 3 and legal.recipients.count() == 2
    numbers = RESPONDERS + ATTORNEYS
    assert wait_for(lambda: all(_thread(network, n) for n in numbers), timeout=20)
    for phone, body in zip(RESPONDERS, ["1", "2", "15"], strict=True):
        sandbox_reply(thread=_thread(network, phone), body=body)
    assert wait_for(lambda: squad.recipients.exclude(status="pending").count() == 3)

    with chromium() as browser:
        context = browser.new_context(base_url=live_server.url, locale="en-US")
        page = context.new_page()
        log_in(page, dispatcher.email, app)
        open_board(page, incident.pk)
        board = page.locator("body")
        expect(board.locator("li.st-going")).not_to_have_count(0)
        expect(board.locator("li.st-not_going")).not_to_have_count(0)
        expect(board).to_contain_text("ETA 15 min")
        page.screenshot(path=str(ARTEFACTS / "e2e-respond-board.png"), full_page=True)
        context.close()

    before = AlertRecipient.objects.filter(alert=squad).count()
    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=True):
        assert escalation_sweep() >= 1
    wider = AlertRecipient.objects.filter(alert=squad, tier__gt=1)
    assert AlertRecipient.objects.filter(alert=squad).count() > before
    assert wider.exists()
    assert Delivery.objects.filter(alert=squad, recipient__in=wider).exists()

    for phone in ATTORNEYS:
        sandbox_reply(thread=_thread(network, phone), body="1")
    assert wait_for(lambda: legal.recipients.filter(status="going").count() == 2)
    facility_name = legal.facility.name

    with chromium() as browser:
        context = browser.new_context(base_url=live_server.url, locale="en-US")
        page = context.new_page()
        log_in(page, dispatcher.email, app)
        open_board(page, incident.pk)
        expect(page.locator("[data-field=attorneys_confirmed]")).to_have_text("2")
        expect(page.locator("body")).to_contain_text(facility_name)
        page.screenshot(path=str(ARTEFACTS / "e2e-respond-legal.png"), full_page=True)
        context.close()
