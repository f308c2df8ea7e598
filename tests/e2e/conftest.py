"""Browser tests: Playwright's sync API driving Debian's chromium (never a downloaded one).

A missing chromium is a failure, not a skip: `./dev test` installs it, so its absence
means the machine is not set up the way the tests assume.

Playwright's sync API keeps an asyncio event loop running in the calling thread, and
Django refuses ORM calls from a thread with a running loop (SynchronousOnlyOperation).
So a test creates its database objects before :func:`chromium` starts and reads them
back after it ends; and the browser is never kept open across tests (a session-wide
browser would break the ORM for every test that runs after it).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from amparo.conftest import PASSWORD

from .axe import AxeWatch

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Screenshots and other artefacts of browser tests (var/ is not in git).
ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test"


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Debian chromium for the duration of the ``with`` block.

    Every page its contexts show is checked with axe-core (see :mod:`tests.e2e.axe`):
    a serious or critical violation fails the test when the block ends."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Browser tests need Debian's chromium at {CHROMIUM}, which is missing. "
            "Install it with `apt-get install chromium` (`./dev test` does this).",
            pytrace=False,
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        axe = AxeWatch().__enter__()
        new_context = browser.new_context

        def watched_context(**kwargs: Any) -> BrowserContext:
            return axe.watch(new_context(**kwargs), scripts=kwargs.get("java_script_enabled", True))

        browser.new_context = watched_context  # type: ignore[method-assign]
        try:
            yield browser
            for context in browser.contexts:  # what is still on screen gets checked too
                for page in context.pages:
                    axe.check(page)
        finally:
            axe.__exit__()
            browser.close()
        if axe.failures():
            pytest.fail(axe.failures(), pytrace=False)


class Authenticator:
    """A person's authenticator app, for tests that log in through the real pages.

    Amparo refuses a code whose 30-second step was already used (no replay), so a test
    that logs the same person in twice within one step would be refused: it enrols one
    app per log-in (``enrol_authenticator(user, apps=N)``), and when every app's code of
    this step is spent, :meth:`code` waits for the next step."""

    def __init__(self, secrets: list[str]) -> None:
        self.secrets = secrets
        self._used: dict[str, int] = {}

    def code(self) -> str:
        deadline = time.monotonic() + 65
        while time.monotonic() < deadline:
            now = time.time()
            step = int(now // 30)
            for secret in self.secrets:
                if self._used.get(secret, -1) < step:
                    self._used[secret] = step
                    return pyotp.TOTP(secret).at(now)
            time.sleep(0.5)
        raise AssertionError("no authenticator code left")  # pragma: no cover


def enrol_authenticator(user: Any, *, apps: int = 1) -> Authenticator:
    """Give ``user`` confirmed authenticator apps in the database (the service the demo
    uses). Call it before :func:`chromium` starts: no ORM while Playwright runs."""
    from amparo.twofactor.services import totp_enrol_confirmed

    return Authenticator([totp_enrol_confirmed(user=user).secret for _ in range(apps)])


def log_in(page: Page, email: str, authenticator: Authenticator, password: str = PASSWORD) -> None:
    """Log in through the real login form, then type the app's current code on the real
    verify page, as a person does. Locators use field names, so it works in any language."""
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/verify/"))
    page.locator("input[name=code]").fill(authenticator.code())
    page.locator("main form:has(input[name=code]) button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/(login|two-factor)/"))


HOLYOKE = (42.2043, -72.6162)


def confirmed_raid(network: Any, *, verifier_phone: str = "+14135550170") -> Any:
    """A raid reported on the web in Holyoke and confirmed by a trained verifier: the
    incident the after-raid browser tests start from."""
    from datetime import timedelta

    from django.utils import timezone

    from amparo.people.services import place_get_or_create
    from amparo.reports.services import ReportInput, incident_transition, report_submit
    from amparo.tests.factories import VerifierFactory

    holyoke = place_get_or_create(
        network=network, name="Holyoke", latitude=HOLYOKE[0], longitude=HOLYOKE[1]
    )
    verifier = VerifierFactory.create(
        network=network,
        name=f"Persona {verifier_phone[-4:]}",
        phone=verifier_phone,
        place=holyoke,
        trained=timezone.localdate() - timedelta(days=30),
    )
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
    return incident_transition(incident=report.incident, to="confirmed", person=verifier)
