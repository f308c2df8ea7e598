"""A volunteer signs up in Spanish (the proof of work running in the browser), and a
coordinator answers "Sí" for them on the sandbox phone: the person is confirmed.

Spanish is asserted through ``<html lang="es">`` and the Spanish text message Amparo
generates (computed before the browser starts), so the test holds before and after the
Spanish catalogue has these strings.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from amparo.accounts.models import Role
from amparo.accounts.roles import sync_default_roles
from amparo.channels.models import Delivery
from amparo.conftest import huey_consumer, make_network, make_user, wait_for  # noqa: F401
from amparo.people.models import Person, SpentChallenge, TrainingSession, TrainingType
from amparo.people.signup import sms_confirmation_text, sms_thanks_text

from .conftest import ARTEFACTS, Authenticator, chromium, enrol_authenticator, log_in

# huey_consumer (imported above): a real worker sends the texts, as in a deployment.
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("huey_consumer"),
]

SLUG = "e2e-join"
TYPED_PHONE = "(413) 555-0188"
E164 = "+14135550188"


def reload_until(page: Page, locator_text: str, timeout: float = 20.0) -> None:
    """Reload until text appears (the message is sent by a background worker)."""
    deadline = time.monotonic() + timeout
    while page.get_by_text(locator_text, exact=False).count() == 0:
        if time.monotonic() > deadline:
            break
        page.wait_for_timeout(250)
        page.reload()
    expect(page.get_by_text(locator_text, exact=False).first).to_be_visible()


def volunteer_signs_up(page: Page, base_url: str, session_id: int) -> float:
    page.goto(f"/join/{SLUG}/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    started = time.monotonic()
    page.locator("input[name=name]").fill("Lucía Hernández")
    page.locator("input[name=phone]").fill(TYPED_PHONE)
    page.locator("input[name=language][value=es]").check()
    page.locator("input[name=other_languages][value=en]").check()
    page.locator("input[name=roles][value=rapid-responder]").check()
    page.locator(f"input[name=session][value='{session_id}']").check()
    page.locator("input[name=consent]").check()
    # pow.js found a nonce while the form was being filled.
    expect(page.locator("input[name=pow_nonce]")).to_have_value(re.compile(r"^\d+$"))
    solved_after = time.monotonic() - started
    page.screenshot(path=str(ARTEFACTS / "e2e-signup-form-es.png"), full_page=True)
    page.locator("form[data-pow-bits] button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/join/{SLUG}/thanks/\?by=sms$"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    return solved_after


def coordinator_replies_si(
    page: Page, email: str, app: Authenticator, sms: str, thanks: str
) -> None:
    log_in(page, email, app)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sandbox phone").click()
    reload_until(page, "(413) 555-0188")
    page.get_by_role("link", name="(413) 555-0188").click()
    reload_until(page, sms)
    page.get_by_label("Reply as this person").fill("Sí")
    page.get_by_role("button", name="Send reply").click()
    reload_until(page, thanks)


def test_spanish_volunteer_signs_up_and_confirms_by_text(live_server: LiveServer) -> None:
    # Database first: no ORM calls while Playwright's event loop runs (see conftest).
    sync_default_roles(Role)
    network = make_network(SLUG, "Red Solidaria E2E")
    coordinator = make_user(network, "coordinator@join.example", ["coordinator"], name="Coord")
    app = enrol_authenticator(coordinator)
    session = TrainingSession.objects.create(
        network=network,
        training_type=TrainingType.objects.get(network=network, slug="orientation"),
        starts_at=timezone.now() + timedelta(days=6),
        language="es",
        place="Salón de la iglesia",
    )
    sms = sms_confirmation_text(network=network, language="es")
    thanks = sms_thanks_text(network=network, language="es")
    assert re.search(r"\bSI\b", sms)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)

    with chromium() as browser:
        volunteer = browser.new_context(base_url=live_server.url, locale="es-US")
        page = volunteer.new_page()
        try:
            solved_after = volunteer_signs_up(page, live_server.url, session.pk)
            page.screenshot(path=str(ARTEFACTS / "e2e-signup-es.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(ARTEFACTS / "e2e-signup-failure.png"), full_page=True)
            raise
        volunteer.close()

        staff = browser.new_context(base_url=live_server.url, locale="en-US")
        page = staff.new_page()
        try:
            coordinator_replies_si(page, coordinator.email, app, sms, thanks)
        except Exception:
            page.screenshot(path=str(ARTEFACTS / "e2e-signup-sandbox-failure.png"), full_page=True)
            raise
        staff.close()

    assert solved_after < 20
    assert SpentChallenge.objects.count() == 1
    assert wait_for(lambda: Person.objects.filter(status="confirmed").exists())
    person = Person.objects.get()
    assert person.language == "es" and person.speaks() == ["es", "en"]
    assert person.training_signups.get().session_id == session.pk
    confirm = Delivery.objects.get(purpose="signup-confirm")
    assert confirm.to_address == E164 and confirm.language == "es" and confirm.body == sms
    assert Delivery.objects.get(purpose="reply").body == thanks
