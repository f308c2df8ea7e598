"""A confirmed raid's playbook by clicks alone, in Spanish (issue 23): log in → the
incident's page shows the playbook → the sandbox phone shows the first steps reached
their owners → the consulate call step shows the consulate of the workers' country of
birth (not another) with its script, and records a call → the vigil step calls the vigil
at the facility → a second coordinator approves the vigil's member alert and it goes
out. After the login page the test never types an address.

Screenshots (1280 px; the sandbox phone and the step at 390 px) go to
var/test/e2e-playbook/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from amparo.alerts.models import Alert, Facility
from amparo.cases.services import CaseInput, case_open
from amparo.channels.models import Delivery
from amparo.conftest import make_network, make_user, send_now
from amparo.people.models import Organization
from amparo.people.services import place_get_or_create
from amparo.playbooks.models import CallLog, PlaybookStep
from amparo.reports.services import ReportInput, incident_transition, report_submit
from amparo.tests.factories import MemberFactory, PersonFactory, VerifierFactory

from .conftest import ARTEFACTS, chromium, enrol_authenticator, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HOLYOKE = (42.2043, -72.6162)
OUT = ARTEFACTS / "e2e-playbook"


def _seed():
    network = make_network("e2e-playbook", "Red Guía E2E")
    network.languages = ["es", "en"]
    network.save(update_fields=["languages"])
    holyoke = place_get_or_create(
        network=network, name="Holyoke", latitude=HOLYOKE[0], longitude=HOLYOKE[1]
    )
    users = {}
    for key, roles, phone in (
        ("cora", ["coordinator"], "+14135550501"),
        ("ciro", ["coordinator"], "+14135550502"),
        ("lola", ["case-manager"], "+14135550503"),
    ):
        users[key] = make_user(
            network, f"{key}@playbook.example", roles, name=key.title(), language="es"
        )
        PersonFactory.create(network=network, user=users[key], phone=phone, language="es")
    for n in range(3):
        MemberFactory.create(network=network, place=holyoke, phone=f"+1413555052{n}")
    verifier = VerifierFactory.create(network=network, phone="+14135550510", place=holyoke)
    report = report_submit(
        network=network,
        source="web",
        data=ReportInput(
            details={"activity": "ICE en la planta", "where": "Planta Ficticia"},
            place=holyoke,
            point={"lat": HOLYOKE[0], "lng": HOLYOKE[1]},
        ),
    )
    assert report.incident is not None
    incident = incident_transition(incident=report.incident, to="confirmed", person=verifier)
    Facility.objects.create(
        network=network,
        name="Centro de Detención Norte",
        latitude=42.3,
        longitude=-72.6,
        address="1 Calle Ficticia",
    )
    for country in ("Guatemala", "México"):
        Organization.objects.create(
            network=network,
            kind="consulate",
            name=f"Consulado de {country}",
            country=country,
            phone="+16175550600",
            desk_phone="+16175550601",
            after_hours_phone="+16175550602",
        )
    for name in ("Ana / Gómez", "Luis / Torres"):
        given, family = name.split(" / ")
        case_open(
            network=network,
            actor=users["cora"],
            incident=incident,
            data=CaseInput(given_names=given, family_names=family, country_of_birth="Guatemala"),
        )
    for delivery in Delivery.objects.filter(network=network, status="queued"):
        send_now(delivery)
    return network, users, incident


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def _to_step(page: Page, incident_pk: int, step: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name="Incidentes").click()
    page.locator(f"a[href='/incidents/{incident_pk}/']").first.click()
    page.locator("#incident-playbook").get_by_role("link", name="Todos los pasos").click()
    page.get_by_role("link", name=step).click()


def test_confirmed_raid_playbook_consulate_and_vigil_in_spanish(live_server: LiveServer) -> None:
    network, users, incident = _seed()
    apps = {key: enrol_authenticator(users[key]) for key in ("cora", "ciro")}
    legal_code = PlaybookStep.objects.get(playbook__incident=incident, key="legal").code
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()
    with chromium() as browser:
        context = browser.new_context(
            base_url=live_server.url, locale="es-US", viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        try:
            log_in(page, users["cora"].email, apps["cora"])  # the last page.goto
            page.get_by_role("navigation").get_by_role("link", name="Incidentes").click()
            page.locator(f"a[href='/incidents/{incident.pk}/']").first.click()
            block = page.locator("#incident-playbook")
            expect(block).to_contain_text("0 de 15 pasos hechos")
            expect(block).to_contain_text("Activar el equipo de respuesta rápida")
            _shot(page, "1-incident")

            # the first steps reached their owners: the attorney's phone has the legal step
            page.set_viewport_size({"width": 390, "height": 844})
            page.get_by_role("navigation").get_by_role("link", name="Teléfono de prueba").click()
            page.locator("#sandbox-threads a", has_text="555-0503").click()
            thread = page.locator("ol.thread")
            expect(thread).to_contain_text("Enviar al menos dos abogados")
            expect(thread).to_contain_text(f"Responda {legal_code}")
            _shot(page, "2-sandbox-attorney-390px")
            page.set_viewport_size({"width": 1280, "height": 900})

            _to_step(page, incident.pk, "Llamar a los consulados de los trabajadores detenidos")
            calls = page.locator("#calls")
            expect(calls).to_contain_text("Consulado de Guatemala")
            expect(calls).not_to_contain_text("Consulado de México")
            expect(calls).to_contain_text("Área de protección")
            expect(calls.locator(".script")).to_contain_text("área de protección")
            expect(calls.locator(".script")).to_contain_text("(en nuestra lista hasta ahora: 2)")
            page.get_by_label("Resultado, en pocas palabras").fill("Visita consular mañana")
            page.get_by_role("button", name="Registrar la llamada").click()
            expect(page.locator("ul.messages")).to_contain_text("Llamada registrada")
            page.set_viewport_size({"width": 390, "height": 844})
            _shot(page, "3-consulates-390px")
            page.set_viewport_size({"width": 1280, "height": 900})

            page.get_by_role("link", name="Todos los pasos").click()
            page.get_by_role(
                "link", name="Vigilia la primera noche frente al centro de detención"
            ).click()
            page.get_by_label("Centro donde están detenidos los trabajadores").select_option(
                label="Centro de Detención Norte"
            )
            page.get_by_role("button", name="Convocar").click()
            expect(page.locator("ul.messages")).to_contain_text("Evento convocado")
            expect(page.locator("#vigil-alert")).to_be_visible()
            _shot(page, "4-vigil")

            # a second coordinator approves the member alert
            second = browser.new_context(
                base_url=live_server.url, locale="es-US", viewport={"width": 1280, "height": 900}
            )
            page2 = second.new_page()
            log_in(page2, users["ciro"].email, apps["ciro"])
            _to_step(page2, incident.pk, "Vigilia la primera noche frente al centro de detención")
            page2.locator("#vigil-alert").click()
            page2.get_by_role("button", name="Aprobar y enviar").click()
            expect(page2.locator("#approve-form")).to_have_count(0)
            _shot(page2, "5-vigil-alert-approved")
        finally:
            context.close()
    vigil = PlaybookStep.objects.get(playbook__incident=incident, key="vigil")
    assert vigil.done_at is not None and vigil.activity is not None
    alert = Alert.objects.get(pk=vigil.alert_id)
    assert alert.approved_by == users["ciro"] and alert.status != Alert.Status.AWAITING_APPROVAL
    bodies = [d.body for d in Delivery.objects.filter(alert=alert, purpose="alert-members")]
    assert bodies and all("vigilia" in b for b in bodies)
    assert CallLog.objects.get().outcome == "Visita consular mañana"
