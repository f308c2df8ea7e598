"""A coordinator logs in, sees the dashboard in English, and switches it to Spanish."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from amparo.accounts.models import Role
from amparo.accounts.roles import sync_default_roles
from amparo.conftest import make_network, make_user

from .conftest import ARTEFACTS, Authenticator, chromium, enrol_authenticator, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def switch_to_spanish(page: Page, base_url: str, email: str, app: Authenticator) -> None:
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("Email")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    # the password, then the code from the app on the verify page
    log_in(page, email, app)

    # The dashboard, in English.
    expect(page).to_have_url(f"{base_url}/")
    expect(page.get_by_role("heading", level=1, name="Red Solidaria E2E")).to_be_visible()
    expect(page.get_by_role("link", name="Dashboard", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()
    expect(page.get_by_text("Your roles:")).to_be_visible()

    # Choose Spanish in the header's language form.
    page.locator("#language-select").select_option(label="Español")
    with page.expect_navigation():
        page.get_by_role("button", name="Change", exact=True).click()

    # Back on the dashboard, now in Spanish.
    expect(page).to_have_url(f"{base_url}/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    spanish = page.get_by_role("link", name="Panel", exact=True).or_(
        page.get_by_role("button", name="Cerrar sesión", exact=True)
    )
    expect(spanish.first).to_be_visible()
    expect(page.locator("#language-select")).to_have_value("es")


def test_switch_dashboard_to_spanish(live_server: LiveServer) -> None:
    # Database first: no ORM calls while Playwright's event loop runs (see conftest).
    # Transactional tests empty every table afterwards, the roles the migration
    # created included, so make sure they exist.
    sync_default_roles(Role)
    network = make_network("e2e", "Red Solidaria E2E")
    user = make_user(network, "coordinator@e2e.example", ["coordinator"], name="Coordinadora")
    app = enrol_authenticator(user)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTEFACTS / "e2e-es.png"
    screenshot.unlink(missing_ok=True)

    with chromium() as browser:
        context = browser.new_context(base_url=live_server.url, locale="en-US")
        page = context.new_page()
        try:
            switch_to_spanish(page, live_server.url, user.email, app)
        except Exception:
            # What the browser showed when it went wrong, for whoever reads the CI log.
            page.screenshot(path=str(ARTEFACTS / "e2e-es-failure.png"), full_page=True)
            raise
        page.screenshot(path=str(screenshot), full_page=True)
        context.close()

    # The choice is remembered for the account, not only in this browser.
    user.refresh_from_db()
    assert user.language == "es"
    assert screenshot.stat().st_size > 0
