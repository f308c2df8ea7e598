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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

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
    """A headless Debian chromium for the duration of the ``with`` block."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Browser tests need Debian's chromium at {CHROMIUM}, which is missing. "
            "Install it with `apt-get install chromium` (`./dev test` does this).",
            pytrace=False,
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
