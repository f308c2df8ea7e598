"""Issue 15, point 4: a person at phone width, in Spanish, is filling in the report form
when the network's coordinator runs the panic wipe (here: the marker another process
leaves). Sending it gives the plain "this Amparo is closed" page in Spanish — not an
error page — and nothing is stored. Screenshots under ``var/test/test_panic_closed/``."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, ViewportSize, expect
from pytest_django.live_server_helper import LiveServer

from amparo.conftest import make_network
from amparo.lib.crypto import keys
from amparo.people.services import place_get_or_create
from amparo.reports.models import Report

from .conftest import ARTEFACTS, chromium

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SLUG = "e2e-closed"
PHONE: ViewportSize = {"width": 390, "height": 844}
SHOTS = ARTEFACTS / "test_panic_closed"


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_report_sent_after_the_panic_gets_the_closed_page(
    live_server: LiveServer, settings, tmp_path
) -> None:
    settings.DATA_DIR = tmp_path  # the live server runs in this process
    # Database first: no ORM calls while Playwright's event loop runs (see conftest).
    network = make_network(SLUG, "Red Cerrada")
    place = place_get_or_create(network=network, name="Holyoke", latitude=42.2, longitude=-72.6)
    SHOTS.mkdir(parents=True, exist_ok=True)

    with chromium() as browser:
        public = browser.new_context(
            base_url=live_server.url, locale="es-US", viewport=PHONE, is_mobile=True
        )
        page = public.new_page()
        page.goto("/accounts/login/")  # the only page.goto
        page.get_by_role("link", name="Reportar una redada").first.click()
        expect(page).to_have_url(re.compile(rf"/report/{SLUG}/$"))
        page.locator("textarea[name=activity]").fill("Camionetas en la entrada")
        page.locator("select[name=place]").select_option(str(place.pk))
        shot(page, "01-form")

        keys.panic_marker().write_text("panic wipe\n")  # another process's wipe
        keys.reset_cache()  # (each process looks at most once a second)

        page.get_by_role("button", name="Enviar el reporte").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Este Amparo está cerrado")
        expect(page.get_by_role("alert")).to_contain_text("borrado de emergencia")
        expect(page.locator("html")).to_have_attribute("lang", "es")
        shot(page, "02-closed")
        public.close()

    assert not Report.objects.filter(network=network).exists()
