"""The raid loop's dispatcher part with the keyboard alone (issue 14): from the dashboard
to the confirmed incident, "Send the squad…", preview the plan, send, and the board —
only Tab, Enter and Space, never the mouse. Each step asserts where the focus
is, so a control that cannot be reached by Tab, or that Enter does not activate, fails.

Screenshots per step under var/test/e2e-keyboard-dispatcher/ (the focus ring shows)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from amparo.alerts.models import Alert, AlertKind
from amparo.conftest import PASSWORD

from .conftest import ARTEFACTS, chromium, enrol_authenticator
from .test_incident_to_squad_browser import _seed

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OUT = ARTEFACTS / "e2e-keyboard-dispatcher"


def tab_to(page: Page, selector: str, *, limit: int = 80) -> None:
    """Press Tab until the focused element matches ``selector`` (as a person tabs along)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reaches {selector} on {page.url}")


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def test_dispatcher_sends_the_squad_with_the_keyboard_alone(live_server: LiveServer) -> None:
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
            page.goto("/accounts/login/")  # the one address typed; keys from here on
            tab_to(page, "input[name=username]")
            page.keyboard.type(dispatcher.email)
            page.keyboard.press("Tab")
            page.keyboard.type(PASSWORD)
            page.keyboard.press("Enter")
            expect(page).to_have_url(re.compile(r"/accounts/two-factor/verify/"))
            tab_to(page, "input[name=code]")
            page.keyboard.type(app.code())
            page.keyboard.press("Enter")
            expect(page).to_have_url(f"{live_server.url}/")

            # The dashboard: Tab to the confirmed incident's link, Enter.
            tab_to(
                page, f"section[aria-labelledby=card-incidents] a[href='/incidents/{incident.pk}/']"
            )
            shot(page, "1-dashboard-focus")
            page.keyboard.press("Enter")
            expect(page).to_have_url(re.compile(rf"/incidents/{incident.pk}/$"))

            # The incident page: Tab to "Send the squad…", Enter.
            tab_to(page, "#send-help")
            shot(page, "2-incident-focus")
            page.keyboard.press("Enter")
            expect(page).to_have_url(re.compile(rf"/alerts/{incident.pk}/respond/$"))

            # The Respond page: Tab to "Preview plan", Space (a button), then to Send, Enter.
            tab_to(page, "button[name=action][value=preview]")
            page.keyboard.press("Space")
            expect(page.locator("section.plan")).to_have_count(1)
            tab_to(page, "button[name=action][value=send]")
            shot(page, "3-respond-send-focus")
            page.keyboard.press("Enter")

            # The board names the incident, and its link back is reachable by Tab.
            expect(page).to_have_url(re.compile(rf"/alerts/board/incident/{incident.pk}/$"))
            expect(page.locator("#incident-named")).to_contain_text(f"Incident {incident.pk}")
            tab_to(page, f"#incident-named a[href='/incidents/{incident.pk}/']")
            shot(page, "4-board-focus")
        except Exception:
            shot(page, "failure")
            raise
        finally:
            context.close()

    squad = Alert.objects.get(network=network, incident=incident)
    assert squad.kind == AlertKind.SQUAD and squad.recipients.count() == 3
