"""In Spanish, by clicks after the log-in (issue 12 point 7, issue 14 point 3): the
console's map is a plain outline naming the town, an image with nothing focusable in it;
the incident's board leads with needed / going / arrived / ETA / next escalation, says
how many texts are still going out, keeps the people folded, and after its live update
a tier still reads "nivel 2" (it used to become "· 2"); the sandbox phone, at phone
width, finds a responder by name and names her."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from amparo.accounts.models import User
from amparo.alerts.models import Alert, AlertKind, AlertRecipient, EscalationStep
from amparo.channels.models import Delivery
from amparo.channels.sandbox.models import SandboxThread
from amparo.conftest import make_network, make_user
from amparo.people.services import place_get_or_create
from amparo.reports.models import Incident
from amparo.reports.services import ReportInput, incident_transition, report_submit
from amparo.tests.factories import ResponderFactory, VerifierFactory

from .conftest import ARTEFACTS, chromium, enrol_authenticator, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HOLYOKE = (42.2043, -72.6162)
OUT: Path = ARTEFACTS / "test_board_console_spanish_browser"


def _seed() -> tuple[User, Incident, Alert]:
    network = make_network("e2e-board-es", "Red E2E Tablero")
    dispatcher = make_user(
        network, "dispatch@board-es.example", ["dispatcher"], name="Dee", language="es"
    )
    holyoke = place_get_or_create(
        network=network, name="Holyoke", latitude=HOLYOKE[0], longitude=HOLYOKE[1]
    )
    verifier = VerifierFactory.create(network=network, name="Vera", place=holyoke)
    report = report_submit(
        network=network,
        source="web",
        data=ReportInput(
            details={"activity": "ICE en la planta", "time": "now"},
            point={"lat": HOLYOKE[0], "lng": HOLYOKE[1]},
            place=holyoke,
        ),
    )
    assert report.incident is not None
    incident = incident_transition(incident=report.incident, to="confirmed", person=verifier)
    people = [
        ResponderFactory.create(
            network=network, name=f"Rita Ficticia {i}", phone=f"+1413555026{i}", place=holyoke
        )
        for i in range(6)
    ]
    now = timezone.now()
    alert = Alert.objects.create(
        network=network,
        incident=incident,
        kind=AlertKind.SQUAD,
        status=Alert.Status.SENDING,
        templates={"es": "Redada {link}", "en": "Raid {link}"},
        launched_at=now,
        expires_at=now + timedelta(hours=2),
        target_going=4,
    )
    recipients = [
        AlertRecipient.objects.create(alert=alert, person=p, tier=1 if i < 3 else 2, language="es")
        for i, p in enumerate(people)
    ]
    AlertRecipient.objects.filter(pk=recipients[3].pk).update(
        status="going", eta_minutes=12, answered_at=now, answered_via="link"
    )
    for recipient, status in zip(recipients, ["sent", "sent", "queued", "sent"], strict=False):
        Delivery.objects.create(
            network=network,
            channel="sandbox",
            to_address="+14135550260",
            body="x",
            alert=alert,
            recipient=recipient,
            status=status,
            purpose="alert",
        )
    EscalationStep.objects.create(
        alert=alert, position=0, action="widen", due_at=now + timedelta(minutes=8)
    )
    SandboxThread.objects.create(network=network, number="+14135550262")
    SandboxThread.objects.create(network=network, number="+14135550263")
    return dispatcher, incident, alert


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


FOCUSABLE_INSIDE = """el => el.querySelectorAll(
  'a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])').length"""


def test_console_map_board_and_sandbox_in_spanish(live_server: LiveServer) -> None:
    dispatcher, incident, alert = _seed()
    app = enrol_authenticator(dispatcher)
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()
    with chromium() as browser:
        context = browser.new_context(
            base_url=live_server.url, locale="es-US", viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        try:
            log_in(page, dispatcher.email, app)  # the last page.goto: clicks from here on
            page.get_by_role("navigation").get_by_role("link", name="Incidentes").click()
            expect(page).to_have_url(re.compile(r"/incidents/$"))
            outline = page.locator("svg#console-map")
            expect(outline).to_have_attribute("role", "img")
            expect(outline.locator("text.pt-label")).to_have_text(["Holyoke"])
            assert outline.evaluate(FOCUSABLE_INSIDE) == 0  # axe: nested-interactive
            assert page.locator("script[src*=leaflet]").count() == 0
            _shot(page, "1-console")

            page.locator(f"#incident-list a[href='/incidents/{incident.pk}/']").click()
            expect(page).to_have_url(re.compile(rf"/incidents/{incident.pk}/$"))
            expect(page.locator(".timeline")).to_contain_text("incidente abierto")
            _shot(page, "2-incident")
            page.get_by_role("link", name="Tablero de respuesta").click()

            expect(page).to_have_url(re.compile(rf"/alerts/board/incident/{incident.pk}/$"))
            section = page.locator(f"#alert-{alert.pk}")
            decide = section.locator(".board-decide")
            expect(decide).to_contain_text("se necesitan")
            expect(decide.locator("[data-field=target]")).to_have_text("4")
            expect(decide.locator("[data-field=going]")).to_have_text("1")
            expect(decide.locator("[data-field=eta_text]")).to_have_text(
                re.compile(r"la primera en 1[12] min")
            )
            expect(decide.locator("[data-field=next_step_text]")).to_contain_text(
                "pedir a más personas"
            )
            expect(section.locator("[data-field=sending_text]")).to_have_text(
                "mensajes saliendo: 3 de 4"
            )
            expect(section.locator("h2")).not_to_contain_text("enviando")
            people = section.locator("details.board-people")
            expect(people.locator("li").first).to_be_hidden()  # folded
            expect(page.locator("#board-live")).to_be_visible(timeout=10_000)  # a live update
            _shot(page, "3-board")
            # mark the rows the server drew; opening the list fetches its people and the
            # page's script redraws them (the redraw used to turn "tier 2" into "· 2")
            people.locator("li").evaluate_all("els => els.forEach(e => e.dataset.old = 1)")
            with page.expect_response(
                lambda r: "/feed/" in r.url and "people=0" not in r.url
            ) as fetched:
                people.locator("summary").click()
            assert fetched.value.ok
            expect(people.locator("li[data-old]")).to_have_count(0)
            expect(people.locator("li")).to_have_count(6)
            going = people.locator("li.st-going")
            expect(going).to_contain_text("nivel 2")
            expect(going).to_contain_text("Llega en 12 min")
            expect(people).not_to_contain_text("· 2")
            _shot(page, "4-board-people-open")

            page.set_viewport_size({"width": 390, "height": 844})
            page.get_by_role("navigation").get_by_role("link", name="Teléfono de prueba").click()
            expect(page.locator("#sandbox-threads li")).to_have_count(2)
            expect(page.locator("#sandbox-threads")).to_contain_text("Rita Ficticia 2")
            _shot(page, "5-sandbox-390px")
            page.get_by_label("Número o nombre").fill("rita ficticia 3")
            page.locator("#sandbox-search button[type=submit]").click()
            expect(page.locator("#sandbox-threads li")).to_have_count(1)
            expect(page.locator("#sandbox-threads")).to_contain_text("(413) 555-0263")
            _shot(page, "6-sandbox-found-390px")
            page.locator("#sandbox-threads a").click()
            expect(page.locator("h1")).to_have_text("Rita Ficticia 3 · (413) 555-0263")
            _shot(page, "7-sandbox-thread-390px")
        except Exception:
            _shot(page, "failure")
            raise
        finally:
            context.close()
