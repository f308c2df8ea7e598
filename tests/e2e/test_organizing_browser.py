"""Organizing by clicks alone after the login page (issue 21): the worker committee
records a decision → a demand to the mayor's office is delivered and won → a commitment
is recorded, its enforcement check fails → the coordinator sees it on the dashboard with
the contact sheet's entry; then an event's invitations go out by text and two sandbox
phones answer (Spanish "Sí" takes the one place, English "yes" joins the waiting list).

Screenshots go to var/test/e2e-organizing/ (the sandbox phone at 390 px)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from amparo.accounts.models import Role
from amparo.accounts.roles import sync_default_roles
from amparo.conftest import huey_consumer, make_network, make_user, wait_for  # noqa: F401
from amparo.lib.phones import display_phone
from amparo.people import events
from amparo.people.models import (
    CommitmentCheck,
    Decision,
    Demand,
    Organization,
    Rsvp,
)
from amparo.people.participation import activity_create
from amparo.tests.factories import PersonFactory

from .conftest import ARTEFACTS, chromium, enrol_authenticator, log_in
from .test_signup_browser import reload_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("huey_consumer"),
]

OUT = ARTEFACTS / "e2e-organizing"
ES_PHONE = "+14135550281"
EN_PHONE = "+14135550282"
OFFICE_PHONE = "+14135550200"


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def _seed():
    sync_default_roles(Role)
    network = make_network("e2e-organizing", "Red Obrera E2E")
    coordinator = make_user(network, "coord@org.example", ["coordinator"], name="Coord")
    PersonFactory.create(network=network, user=coordinator, phone="+14135550280", language="en")
    Organization.objects.create(
        network=network, kind="office", name="Alcaldía E2E", phone=OFFICE_PHONE
    )
    event = activity_create(
        network=network,
        title="Foro E2E",
        kind="event",
        starts_at=timezone.now() + timedelta(days=4),
        place="Iglesia E2E",
        capacity=1,
    )
    PersonFactory.create(network=network, phone=ES_PHONE, language="es", status="confirmed")
    PersonFactory.create(network=network, phone=EN_PHONE, language="en", status="confirmed")
    return network, coordinator, event


def _answer(page: Page, phone: str, invitation: str, reply: str, answer: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sandbox phone").click()
    reload_until(page, display_phone(phone))
    page.get_by_role("link", name=display_phone(phone)).click()
    reload_until(page, invitation)
    page.get_by_label("Reply as this person").fill(reply)
    page.get_by_role("button", name="Send reply").click()
    reload_until(page, answer)


def test_decision_to_a_broken_commitment_on_the_dashboard_and_rsvps_by_text(
    live_server: LiveServer,
) -> None:
    network, coordinator, event = _seed()
    app = enrol_authenticator(coordinator)
    invitation_es = events.invitation_text(event, "es")
    invitation_en = events.invitation_text(event, "en")
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()

    with chromium() as browser:
        context = browser.new_context(
            base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        try:
            log_in(page, coordinator.email, app)  # the last page.goto: clicks from here on
            page.get_by_role("link", name="The worker committee's record").click()
            page.locator("textarea[name=d-text_es]").fill("Exigir a la alcaldía aviso de redadas")
            page.get_by_role("button", name="Record the decision").click()
            expect(page.locator(".messages")).to_contain_text("Decision recorded.")
            expect(page.locator("article")).to_contain_text("Exigir a la alcaldía aviso")
            expect(page.locator("article")).to_contain_text("Not written in this language.")
            _shot(page, "1-decision")

            page.get_by_role("link", name="Demands and commitments").first.click()
            page.get_by_label("To whom (from the contact sheet)").select_option(
                label="Alcaldía E2E"
            )
            page.get_by_label("What is demanded").fill("Warn the community of raids")
            page.get_by_label("Decision of the worker committee").select_option(index=1)
            page.get_by_role("button", name="Save the draft").click()
            expect(page.locator(".messages")).to_contain_text("Demand saved as a draft.")
            page.get_by_role("button", name="Mark as delivered").click()
            page.get_by_role("button", name="Mark as won").click()
            expect(page.locator("main")).to_contain_text("Won")
            page.get_by_label("What exactly was promised").fill("Warn us when ICE is in town")
            page.get_by_role("button", name="Record the commitment").click()
            page.get_by_role("button", name="Check it now").click()
            page.get_by_label("What was found").fill("No warning before the 3 March raid")
            page.get_by_role("button", name="Broken", exact=True).click()
            expect(page.locator(".messages")).to_contain_text("Check recorded.")
            _shot(page, "2-demand")

            page.get_by_role("navigation", name="Main").get_by_role(
                "link", name="Dashboard"
            ).click()
            card = page.locator("section[aria-labelledby=card-enforcement]")
            expect(card).to_contain_text("Broken")
            expect(card).to_contain_text("No warning before the 3 March raid")
            expect(card).to_contain_text("Alcaldía E2E")
            expect(card).to_contain_text(display_phone(OFFICE_PHONE))
            _shot(page, "3-dashboard-enforcement")

            page.get_by_role("link", name="Take attendance").click()
            page.get_by_role("link", name=re.compile("Foro E2E")).click()
            page.get_by_label("Every member who confirmed their sign-up").check()
            page.get_by_role("button", name="Send the invitations").click()
            expect(page.locator(".messages")).to_contain_text("Invitations sent: 3.")

            page.set_viewport_size({"width": 390, "height": 844})
            _answer(page, ES_PHONE, invitation_es, "Sí", "Está en la lista")
            _shot(page, "4-phone-es-going-390px")
            _answer(page, EN_PHONE, invitation_en, "yes", "waiting list")
            _shot(page, "5-phone-en-waiting-390px")

            page.set_viewport_size({"width": 1280, "height": 900})
            page.get_by_role("navigation", name="Main").get_by_role(
                "link", name="Dashboard"
            ).click()
            page.get_by_role("link", name="Take attendance").click()
            page.get_by_role("link", name=re.compile("Foro E2E")).click()
            expect(page.locator("main")).to_contain_text("Going: 1 · Waiting list: 1")
            _shot(page, "6-event-rsvps")
        except Exception:
            _shot(page, "failure")
            raise
        finally:
            context.close()

    decision = Decision.objects.get(network=network)
    demand = Demand.objects.get(network=network)
    assert demand.status == "won" and demand.decision_id == decision.pk
    assert CommitmentCheck.objects.get().outcome == "broken"
    assert wait_for(lambda: Rsvp.objects.filter(activity=event, status="waiting").count() == 1)
    going = Rsvp.objects.get(activity=event, status="going")
    assert going.via == "text" and going.person.language == "es"
