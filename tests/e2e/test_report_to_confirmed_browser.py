"""A worker reports a raid on the public form in Spanish; the dispatcher's console shows
it within seconds (polling, no reload); the dispatcher asks verifiers; a trained verifier
answers "CONFIRMADO <code>" on the sandbox phone; the console shows it confirmed.

Spanish is asserted through ``<html lang="es">`` and data the test controls. English
strings the staff side depends on (Spanish expected once translated): "Log in"
("Iniciar sesión"), "Ask verifiers to check" ("Pedir verificación") — the staff context
runs in English, so these hold before the catalogue has them.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from amparo.channels.sandbox.models import SandboxThread
from amparo.channels.sandbox.services import sandbox_reply
from amparo.conftest import huey_consumer, make_network, make_user, wait_for  # noqa: F401
from amparo.people.models import PersonTraining, TrainingType
from amparo.people.services import PersonData, person_upsert, place_get_or_create
from amparo.reports.models import Incident, VerificationRequest

from .conftest import ARTEFACTS, chromium, enrol_authenticator, log_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("huey_consumer"),
]

SLUG = "e2e-report"
VERIFIER_PHONE = "+14135550177"
ACTIVITY = "Agentes de ICE en la entrada de la planta, revisando papeles"


def worker_reports(page: Page, place_id: int) -> None:
    page.goto(f"/report/{SLUG}/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.locator("textarea[name=activity]").fill(ACTIVITY)
    page.locator("select[name=place]").select_option(str(place_id))
    page.locator("input[name=where]").fill("Planta empacadora (ficticia)")
    if page.locator("input[name=pow_nonce]").count():
        expect(page.locator("input[name=pow_nonce]")).to_have_value(
            re.compile(r"^\d+$"), timeout=20_000
        )
    page.locator("form.report-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/report/{SLUG}/done/"))
    expect(page.locator("html")).to_have_attribute("lang", "es")


def test_public_report_to_confirmed_incident(live_server: LiveServer) -> None:
    # Database first: no ORM calls while Playwright's event loop runs (see conftest).
    network = make_network(SLUG, "Red de Respuesta E2E")
    dispatcher = make_user(network, "dispatch@report.example", ["dispatcher"], name="Dee")
    app = enrol_authenticator(dispatcher, apps=2)  # two log-ins: two apps, no waiting
    holyoke = place_get_or_create(
        network=network, name="Holyoke", latitude=42.2043, longitude=-72.6162
    )
    verifier, _created = person_upsert(
        network=network,
        data=PersonData(
            name="Vera Verificadora",
            phones=[VERIFIER_PHONE],
            language="es",
            roles=["verifier"],
            places=[holyoke.pk],
            status="active",
        ),
    )
    PersonTraining.objects.create(
        person=verifier,
        training_type=TrainingType.objects.get(network=network, slug="verifier"),
        completed_on=timezone.localdate() - timedelta(days=30),
    )
    ARTEFACTS.mkdir(parents=True, exist_ok=True)

    with chromium() as browser:
        staff = browser.new_context(base_url=live_server.url, locale="en-US")
        console = staff.new_page()
        log_in(console, dispatcher.email, app)
        console.get_by_role("navigation", name="Main").get_by_role("link", name="Incidents").click()
        expect(console.locator("#incident-list li.incident")).to_have_count(0)

        public = browser.new_context(base_url=live_server.url, locale="es-US")
        page = public.new_page()
        try:
            worker_reports(page, holyoke.pk)
        except Exception:
            page.screenshot(path=str(ARTEFACTS / "e2e-report-failure.png"), full_page=True)
            raise
        public.close()

        try:
            # No reload: the console's polling brings the new incident in.
            # a single public report: in the folded group, shown open while it is small
            row = console.locator("#folded-list li.incident.st-unverified")
            expect(row).to_have_count(1, timeout=6_000)
            expect(row).to_contain_text("Holyoke")
            console.screenshot(path=str(ARTEFACTS / "e2e-console-new.png"), full_page=True)
            row.locator("a.incident-link").click()
            expect(console.get_by_text(ACTIVITY)).to_be_visible()
            console.locator("#verify-request button[type=submit]").click()
            expect(console.locator("html")).to_be_visible()
        except Exception:
            console.screenshot(path=str(ARTEFACTS / "e2e-console-failure.png"), full_page=True)
            raise
        staff.close()

    incident = Incident.objects.get(network=network)
    assert incident.status == "verifying"
    request = VerificationRequest.objects.get(incident=incident)
    assert request.verifier_id == verifier.pk
    # The request went out by the sandbox SMS channel (a real Huey worker sends it).
    assert wait_for(lambda: SandboxThread.objects.filter(network=network).exists())
    thread = SandboxThread.objects.get(network=network)
    assert thread.number == VERIFIER_PHONE
    sandbox_reply(thread=thread, body=f"CONFIRMADO {request.code} tres camionetas")
    assert wait_for(lambda: Incident.objects.get(pk=incident.pk).status == "confirmed")
    incident.refresh_from_db()
    assert incident.confirmed_by_id == verifier.pk

    with chromium() as browser:
        staff = browser.new_context(base_url=live_server.url, locale="en-US")
        console = staff.new_page()
        log_in(console, dispatcher.email, app)
        console.get_by_role("navigation", name="Main").get_by_role("link", name="Incidents").click()
        confirmed = console.locator(
            f"#incident-list li.incident.st-confirmed[data-id='{incident.pk}']"
        )
        expect(confirmed).to_have_count(1)
        expect(confirmed).to_contain_text("Holyoke")
        console.screenshot(path=str(ARTEFACTS / "e2e-console-confirmed.png"), full_page=True)
        staff.close()
