"""A new network's coordinator, from the home page and by clicks only: sees the export
waiting for their approval, adds a second login and gets its one-time link, then adds
the network's first ZIP code, whose town and coordinates are looked up offline."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from amparo.accounts.models import Membership, Role, User
from amparo.accounts.roles import sync_default_roles
from amparo.conftest import make_network, make_user
from amparo.people.export_requests import export_request_create
from amparo.people.models import Place

from .conftest import ARTEFACTS, chromium, enrol_authenticator, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_coordinator_adds_a_login_and_a_zip_code(live_server: LiveServer) -> None:
    sync_default_roles(Role)
    network = make_network("e2e-setup", "Red Nueva")
    coordinator = make_user(network, "coord@setup.example", ["coordinator"], name="Coordina")
    other = make_user(network, "otra@setup.example", ["coordinator"], name="Otra")
    export_request_create(network=network, actor=other, kind="csv")
    app = enrol_authenticator(coordinator)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shot = lambda page, name: page.screenshot(  # noqa: E731
        path=str(ARTEFACTS / f"e2e-setup-{name}.png"), full_page=True
    )
    with chromium() as browser:
        page = browser.new_context(base_url=live_server.url, locale="en-US").new_page()
        try:
            log_in(page, coordinator.email, app)
            expect(
                page.get_by_role("link", name="1 export waiting for your approval")
            ).to_be_visible()
            expect(page.get_by_role("heading", name="Share with the public")).to_be_visible()
            expect(page.get_by_role("textbox", name="Volunteer sign-up")).to_have_value(
                re.compile(r"/join/e2e-setup/$")
            )
            shot(page, "home")
            page.get_by_role("link", name="Logins: accounts, roles and two-step sign-in").click()
            page.get_by_role("link", name="Add a login").click()
            page.get_by_label("Email").fill("segunda@setup.example")
            page.locator("input[name=roles][value=committee]").check()
            page.get_by_label("Language of the account").select_option("es")
            expect(page.get_by_text("Confirms reports before anyone is alerted.")).to_be_visible()
            shot(page, "add-login")
            page.get_by_role("button", name="Add the login").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Login added")
            link = page.locator("#set-link").input_value()
            assert re.search(r"/accounts/password/reset/[^/]+/[^/]+/$", link)
            shot(page, "login-added")
            page.get_by_role("link", name="I have given it to them, back to the logins").click()
            expect(page.get_by_text("segunda@setup.example")).to_be_visible()
            page.get_by_role("navigation", name="Main").get_by_role(
                "link", name="Dashboard"
            ).click()
            page.get_by_role("link", name="Towns and ZIP codes").click()
            expect(page.get_by_text("No towns or ZIP codes yet.")).to_be_visible()
            page.get_by_role("link", name="Add a town or ZIP code").click()
            page.get_by_label("ZIP code").fill("01040")
            page.get_by_role("button", name="Look up").click()
            expect(page.get_by_label("Name")).to_have_value("01040 Holyoke")
            expect(page.get_by_label("Latitude")).to_have_value("42.202")
            shot(page, "zip-looked-up")
            page.get_by_role("button", name="Save").click()
            expect(page.get_by_role("link", name="01040 Holyoke")).to_be_visible()
            shot(page, "places")
        except Exception:
            shot(page, "failure")
            raise
    added = User.objects.find_by_email("segunda@setup.example")
    assert added is not None
    assert added.language == "es" and not added.has_usable_password()
    assert Membership.objects.get(user=added, network=network).role_slugs() == ["committee"]
    place = Place.objects.get(network=network)
    assert (place.kind, place.postal_code, place.latitude) == ("zip", "01040", 42.202)
