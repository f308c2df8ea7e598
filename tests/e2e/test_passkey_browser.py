"""A coordinator sets up a passkey on the forced set-up page, logs out, logs in with the
password and the passkey, and reaches the dashboard — in chromium, with the DevTools
virtual authenticator standing in for the phone's fingerprint reader.

The live server is addressed as http://localhost:<port>: a relying-party id must be a
host name, never an IP address, and localhost is a secure context over plain http.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from amparo.accounts.models import AuditEvent, Role
from amparo.accounts.roles import sync_default_roles
from amparo.conftest import PASSWORD, make_network, make_user
from amparo.twofactor.models import Passkey, RecoveryCode

from .conftest import ARTEFACTS, chromium

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "passkey-coordinator@e2e.example"


def add_virtual_authenticator(page: Page) -> Any:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return cdp


def log_in_with_password(page: Page, *, by_link: bool = False) -> None:
    """The login page: opened by its address (the first page a person opens), or after
    logging out by the header's "Log in" link."""
    if by_link:
        page.get_by_role("link", name="Log in", exact=True).click()
    else:
        page.goto("/accounts/login/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def sets_up_a_passkey_then_logs_back_in(page: Page, base_url: str) -> None:
    add_virtual_authenticator(page)
    log_in_with_password(page)
    # The password alone leads to the forced set-up, not to the dashboard.
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/setup/\?next=%2F$"))
    page.get_by_label("Name for this passkey (optional)").fill("Work phone")
    page.get_by_role("button", name="Add a passkey").click()
    # The passkey is the first factor: the recovery codes come next, then the dashboard.
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/recovery-codes/\?next=%2F$"))
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    page.screenshot(path=str(ARTEFACTS / "e2e-passkey-recovery-codes.png"), full_page=True)
    page.get_by_role("link", name="I have saved them, continue").click()
    expect(page).to_have_url(f"{base_url}/")

    page.get_by_role("button", name="Log out").first.click()
    log_in_with_password(page, by_link=True)
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/verify/\?next=%2F$"))
    page.screenshot(path=str(ARTEFACTS / "e2e-passkey-verify.png"), full_page=True)
    page.get_by_role("button", name="Use a passkey").click()
    expect(page).to_have_url(f"{base_url}/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    # The two-step page (the header's link) lists the passkey by the name it was given.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Two-step sign-in").click()
    expect(page.get_by_text("Work phone")).to_be_visible()


def browser_without_passkeys_sees_the_note(page: Page) -> None:
    page.add_init_script("delete window.PublicKeyCredential;")
    log_in_with_password(page)
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/verify/"))
    expect(page.get_by_role("button", name="Use a passkey")).to_be_hidden()
    expect(page.get_by_text("Using a passkey needs JavaScript")).to_be_visible()


def test_coordinator_sets_up_a_passkey_and_logs_in_with_it(
    live_server: LiveServer, settings: Any
) -> None:
    assert live_server.url.startswith("http://localhost:")
    settings.WEBAUTHN_RP_ID = "localhost"
    settings.WEBAUTHN_ORIGIN = live_server.url
    # Database first: no ORM calls while Playwright's event loop runs (see conftest).
    sync_default_roles(Role)
    network = make_network("e2e-passkey", "Red E2E")
    user = make_user(network, EMAIL, ["coordinator"], name="Coordinadora")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)

    with chromium() as browser:
        context = browser.new_context(base_url=live_server.url, locale="en-US")
        page = context.new_page()
        try:
            sets_up_a_passkey_then_logs_back_in(page, live_server.url)
        except Exception:
            page.screenshot(path=str(ARTEFACTS / "e2e-passkey-failure.png"), full_page=True)
            raise
        context.close()

        context = browser.new_context(base_url=live_server.url, locale="en-US")
        page = context.new_page()
        try:
            browser_without_passkeys_sees_the_note(page)
        except Exception:
            page.screenshot(path=str(ARTEFACTS / "e2e-passkey-nosupport.png"), full_page=True)
            raise
        context.close()

    passkey = Passkey.objects.get(user=user)
    assert passkey.label == "Work phone"
    assert passkey.transports == ["internal"]
    assert passkey.sign_count >= 1 and passkey.last_used_at is not None
    assert RecoveryCode.objects.filter(user=user).count() == 10
    assert AuditEvent.objects.filter(target_type="twofactor.passkey", action="create").count() == 1
