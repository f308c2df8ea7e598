"""A coordinator logs in, sees the dashboard in English, and switches it to Spanish."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from amparo.accounts.models import Role
from amparo.accounts.roles import sync_default_roles
from amparo.conftest import PASSWORD, make_network, make_user

from .conftest import ARTEFACTS, chromium

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_switch_dashboard_to_spanish(live_server) -> None:
    # Database first: no ORM calls while Playwright's event loop runs (see conftest).
    # Transactional tests empty every table afterwards, the roles the migration
    # created included, so make sure they exist.
    sync_default_roles(Role)
    network = make_network("e2e", "Red Solidaria E2E")
    user = make_user(network, "coordinator@e2e.example", ["coordinator"], name="Coordinadora")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTEFACTS / "e2e-es.png"

    with chromium() as browser:
        context = browser.new_context(base_url=live_server.url, locale="en-US")
        page = context.new_page()

        page.goto("/accounts/login/")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()

        # The dashboard, in English.
        page.wait_for_url(f"{live_server.url}/")
        expect(page.get_by_role("heading", level=1, name="Red Solidaria E2E")).to_be_visible()
        expect(page.get_by_role("link", name="Dashboard", exact=True)).to_be_visible()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        expect(page.get_by_text("Your roles:")).to_be_visible()

        # Choose Spanish in the header's language form.
        page.locator("#language-select").select_option(label="Español")
        page.get_by_role("button", name="Change").click()

        # Back on the dashboard, now in Spanish.
        page.wait_for_url(f"{live_server.url}/")
        expect(page.locator("html")).to_have_attribute("lang", "es")
        spanish = page.get_by_role("link", name="Panel", exact=True).or_(
            page.get_by_role("button", name="Cerrar sesión", exact=True)
        )
        expect(spanish.first).to_be_visible()
        expect(page.locator("#language-select")).to_have_value("es")
        page.screenshot(path=str(screenshot), full_page=True)
        context.close()

    # The choice is remembered for the account, not only in this browser.
    user.refresh_from_db()
    assert user.language == "es"
    assert screenshot.stat().st_size > 0
