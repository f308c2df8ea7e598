"""The axe-core check every browser test runs (tests/e2e/axe.py) bites: a page with a
critical violation, served with a strict Content-Security-Policy, fails the browser
block; the same page fixed passes. No database, no live server: the pages are served by
the browser context's own router."""

from __future__ import annotations

import pytest
from playwright.sync_api import Route

from .conftest import chromium

pytestmark = [pytest.mark.e2e]

CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'"
PAGE = """<!doctype html><html lang="en"><head><title>Check</title></head><body><main>
<h1>Check</h1>{body}<a href="/next">next</a></main></body></html>"""


def serve(body: str):
    def handler(route: Route) -> None:
        path = route.request.url.split("axe.test", 1)[1]
        html = PAGE.format(body=body if path == "/" else "<p>fine</p>")
        route.fulfill(
            status=200,
            body=html,
            content_type="text/html",
            headers={"Content-Security-Policy": CSP},
        )

    return handler


def visit(body: str) -> None:
    with chromium() as browser:
        context = browser.new_context()
        context.route("http://axe.test/**", serve(body))
        page = context.new_page()
        page.goto("http://axe.test/")
        page.get_by_role("link", name="next").click()  # the first page is checked here
        page.wait_for_url("http://axe.test/next")
        context.close()


def test_a_critical_violation_on_a_page_fails_the_test() -> None:
    with pytest.raises(pytest.fail.Exception) as failed:
        visit('<form><input type="text" name="where"><button></button></form>')
    message = str(failed.value)
    assert "/: critical button-name" in message and "critical label" in message


def test_a_page_without_violations_passes() -> None:
    visit(
        '<form><label for="w">Where</label><input id="w" name="where"><button>Send</button></form>'
    )
