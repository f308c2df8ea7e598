"""Issue 13 "Done when": a frightened person on a cheap phone, without JavaScript, in
Spanish, finds the report form from the login page, sends it too fast (refused, the
text still there), sends it again after the wait (accepted), and a dispatcher finds the
report on the console by clicking.

Proof of work without JavaScript: there is no nonce, so the form is accepted once its
challenge is ``SIGNUP_NOJS_MIN_AGE`` seconds old (3 s here, to keep the test short; 5 s
in production). Steps are saved under ``var/test/test_report_without_js/``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, ViewportSize, expect
from pytest_django.live_server_helper import LiveServer

from amparo.conftest import make_network, make_user
from amparo.people.services import place_get_or_create
from amparo.reports.models import Report, Source

from .conftest import ARTEFACTS, chromium, enrol_authenticator, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SLUG = "e2e-nojs"
ACTIVITY = "Tres camionetas de ICE en la entrada de la empacadora, piden papeles"
WHERE = "Empacadora del río, calle Main (ficticia)"
EQUIPMENT = "3 camionetas blancas"
MIN_AGE = 3
PHONE: ViewportSize = {"width": 390, "height": 844}
SHOTS = ARTEFACTS / "test_report_without_js"


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def fill_report(page: Page, place_id: int) -> None:
    page.locator("textarea[name=activity]").fill(ACTIVITY)
    page.locator("select[name=place]").select_option(str(place_id))
    page.locator("input[name=where]").fill(WHERE)
    page.locator("select[name=size]").select_option("3-5")
    page.locator("input[name=equipment]").fill(EQUIPMENT)


def test_report_without_javascript_from_the_login_page_to_the_console(
    live_server: LiveServer, settings
) -> None:
    settings.SIGNUP_NOJS_MIN_AGE = MIN_AGE  # the live server runs in this process
    # Database first: no ORM calls while Playwright's event loop runs (see conftest).
    network = make_network(SLUG, "Red Sin JS")
    network.hotline_number = "+14135550100"
    network.save()
    place = place_get_or_create(network=network, name="Holyoke", latitude=42.2, longitude=-72.6)
    dispatcher = make_user(network, "dispatch@nojs.example", ["dispatcher"], language="es")
    app = enrol_authenticator(dispatcher)
    SHOTS.mkdir(parents=True, exist_ok=True)

    with chromium() as browser:
        public = browser.new_context(
            base_url=live_server.url,
            locale="es-US",
            java_script_enabled=False,
            viewport=PHONE,
            is_mobile=True,
        )
        page = public.new_page()
        page.goto("/accounts/login/")  # the only page.goto for the public person
        expect(page.locator("html")).to_have_attribute("lang", "es")
        report_link = page.get_by_role("link", name="Reportar una redada").first
        expect(report_link).to_be_in_viewport()  # at 390 px, without scrolling
        shot(page, "01-login")

        report_link.click()
        expect(page).to_have_url(re.compile(rf"/report/{SLUG}/$"))
        expect(page.locator("#report-hotline a[href='tel:+14135550100']")).to_have_text(
            "(413) 555-0100"
        )
        fill_report(page, place.pk)
        shot(page, "02-form-filled")

        page.get_by_role("button", name="Enviar el reporte").click()  # at once: too fast
        expect(page).to_have_url(re.compile(rf"/report/{SLUG}/$"))
        expect(page.get_by_role("alert").first).to_contain_text("Su reporte todavía no se envió")
        expect(page.locator("textarea[name=activity]")).to_have_value(ACTIVITY)
        expect(page.locator("input[name=where]")).to_have_value(WHERE)
        expect(page.locator("input[name=equipment]")).to_have_value(EQUIPMENT)
        expect(page.locator("select[name=size]")).to_have_value("3-5")
        expect(page.locator("select[name=place]")).to_have_value(str(place.pk))
        shot(page, "03-too-fast-text-kept")

        page.wait_for_timeout(MIN_AGE * 1000 + 300)  # a person reading it over
        page.get_by_role("button", name="Enviar el reporte").click()
        expect(page).to_have_url(re.compile(rf"/report/{SLUG}/done/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Reporte recibido")
        expect(page.get_by_text(ACTIVITY)).to_be_visible()
        shot(page, "04-accepted")
        public.close()

        # A dispatcher (JavaScript on, as on the office's computer) clicks to the console.
        staff = browser.new_context(base_url=live_server.url, locale="es-US")
        console = staff.new_page()
        log_in(console, dispatcher.email, app)
        console.locator("header nav a[href='/incidents/']").click()
        # a single public report: in the folded group, shown open while it is small
        row = console.locator("#folded-list li.incident")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Holyoke")
        shot(console, "05-console")
        row.locator("a.incident-link").click()
        expect(console.get_by_text(ACTIVITY)).to_be_visible()
        shot(console, "06-incident")
        staff.close()

    report = Report.objects.get(network=network)
    assert report.source == Source.WEB
    assert report.low_trust is True  # no proof of work solved: the console knows it
    assert report.details["activity"] == ACTIVITY
    assert report.details["equipment"] == EQUIPMENT
    assert report.place_id == place.pk
    assert report.incident is not None
