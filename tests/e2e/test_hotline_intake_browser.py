"""In Spanish, a hotline responder walks a sandbox call from ringing to "activate the
response team": the sandbox phone calls, the caller presses 2, the responder's phone
rings, they answer, land on the intake in Spanish, pick "a raid is happening now", read
the Spanish script, fill in where, and activate the team; a dispatcher gets a text."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from amparo.accounts.models import Role
from amparo.accounts.roles import sync_default_roles
from amparo.channels.models import Delivery
from amparo.conftest import make_network, make_user
from amparo.hotline.models import Call, Intake, Shift, ShiftAssignment
from amparo.tests.factories import PersonFactory

from .conftest import ARTEFACTS, chromium, enrol_authenticator, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RESPONDER_PHONE = "+14135550171"
DISPATCHER_PHONE = "+14135550172"


def test_spanish_intake_from_a_ringing_call_to_activation(live_server: LiveServer) -> None:
    # Database first: no ORM calls while Playwright's event loop runs (see conftest).
    sync_default_roles(Role)
    network = make_network("e2e-hotline", "Red Solidaria E2E")
    responder = make_user(
        network, "rosa@e2e.example", ["hotline"], name="Rosa Respuesta", language="es"
    )
    dispatcher = make_user(network, "diego@e2e.example", ["dispatcher"], name="Diego Despacho")
    responder_person = PersonFactory.create(
        network=network,
        name=responder.display_name,
        phone=RESPONDER_PHONE,
        other_languages=["en"],
        user=responder,
    )
    PersonFactory.create(
        network=network,
        name=dispatcher.display_name,
        phone=DISPATCHER_PHONE,
        language="en",
        other_languages=["en"],
        user=dispatcher,
    )
    now = timezone.now()
    shift = Shift.objects.create(
        network=network, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=6)
    )
    ShiftAssignment.objects.create(shift=shift, person=responder_person, role="primary")
    app = enrol_authenticator(responder)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTEFACTS / "e2e-hotline-intake-es.png"
    screenshot.unlink(missing_ok=True)

    with chromium() as browser:
        context = browser.new_context(base_url=live_server.url, locale="en-US")
        page = context.new_page()
        try:
            # The responder logs in: password, then the code from their app.
            log_in(page, "rosa@e2e.example", app)
            # From the dashboard, the sandbox phone calls the hotline (the page speaks the
            # responder's Spanish).
            page.locator("a[href='/hotline/intake/sandbox-call/']").first.click()
            expect(page.locator("html")).to_have_attribute("lang", "es")
            page.locator("#call-start").click()
            state = page.locator("#call-state")
            expect(state).to_have_attribute("data-stage", "menu")
            expect(state.locator("[lang=es]")).to_contain_text("oprima 2")

            # The caller presses 2: Spanish; the on-shift Spanish speaker's phone rings.
            page.locator("#digit-2").click()
            expect(state).to_have_attribute("data-stage", "primary")
            expect(state).to_have_attribute("data-language", "es")
            expect(page.locator("#ringing-count")).to_have_text("1")

            # The responder answers and lands on the intake for that call, in Spanish.
            page.locator("#call-answer").click()
            expect(page).to_have_url(re.compile(r"/hotline/intake/new/\?call=\d+$"))
            expect(page.locator("input[name=language][value=es]")).to_be_checked()
            page.locator("input[name=situation][value=raid_now]").check()
            page.locator("form.intake-choices button[type=submit]").click()

            # The know-your-rights script, in the caller's language.
            expect(page).to_have_url(re.compile(r"/hotline/intake/\d+/$"))
            expect(page.locator("html")).to_have_attribute("lang", "es")
            expect(page.get_by_role("heading", level=1)).to_have_text(
                re.compile("A raid is happening now|Hay una redada ahora mismo")
            )
            script = page.locator("#script")
            expect(script).to_have_attribute("lang", "es")
            expect(script).to_contain_text("judicial")
            expect(script.locator("li")).to_have_count(10)

            # Where, then activate the response team.
            page.locator("#id_where").fill("Avícola del Valle, calle Molino 12")
            page.locator("input[name=outcome][value=activate]").check()
            page.locator("form.intake-form button[type=submit]").click()

            outcome = page.locator("#outcome")
            expect(outcome).to_have_attribute("data-outcome", "activate")
            expect(page.get_by_role("heading", level=1)).to_have_text(
                re.compile("Response team activated|Equipo de respuesta activado")
            )
            expect(outcome).to_contain_text("2")  # the dispatcher and the responder
        except Exception:
            page.screenshot(path=str(ARTEFACTS / "e2e-hotline-failure.png"), full_page=True)
            raise
        page.screenshot(path=str(screenshot), full_page=True)
        context.close()

    intake = Intake.objects.get()
    assert intake.outcome == "activate" and intake.language == "es"
    assert intake.situation == "raid_now"
    assert intake.answers["where"].startswith("Avícola del Valle")
    call = Call.objects.get()
    assert intake.call == call and call.status == "answered" and call.language == "es"
    assert call.answered_by == responder_person
    ring = Delivery.objects.get(purpose="hotline-ring")
    assert ring.to_address == RESPONDER_PHONE and ring.channel == "sandbox"
    to_dispatcher = Delivery.objects.get(
        purpose="hotline-activate",
        to_index__isnull=False,
        language="en",
        channel=settings.CHANNEL_ROUTES["sms"],
    )
    assert to_dispatcher.to_address == DISPATCHER_PHONE
    assert "Avícola del Valle" in to_dispatcher.body
    assert screenshot.stat().st_size > 0
