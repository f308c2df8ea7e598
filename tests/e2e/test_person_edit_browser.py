"""A coordinator corrects a misspelt name: from the home page to People, the person,
Edit, and back on the person's page with the new name — by clicking only."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from amparo.accounts.models import Role
from amparo.accounts.roles import sync_default_roles
from amparo.conftest import make_network, make_user
from amparo.people.models import Person
from amparo.people.services import PersonData, person_upsert

from .conftest import ARTEFACTS, chromium, enrol_authenticator, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_coordinator_corrects_a_persons_name(live_server: LiveServer) -> None:
    sync_default_roles(Role)
    network = make_network("e2e-edit", "Red E2E")
    coordinator = make_user(network, "coord@edit.example", ["coordinator"], name="Coord")
    person, _ = person_upsert(
        network=network, data=PersonData(name="Rosa Nunes", phones=["+14135550123"], language="es")
    )
    app = enrol_authenticator(coordinator)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        context = browser.new_context(base_url=live_server.url, locale="en-US")
        page = context.new_page()
        try:
            log_in(page, coordinator.email, app)
            page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
            page.get_by_role("link", name="Rosa Nunes").click()
            page.get_by_role("link", name="Edit", exact=True).click()
            expect(page.get_by_label("Name", exact=True)).to_have_value("Rosa Nunes")
            page.get_by_label("Name", exact=True).fill("Rosa Núñez")
            page.get_by_role("button", name="Save").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Rosa Núñez")
            expect(page.get_by_text("Changes saved.")).to_be_visible()
        except Exception:
            page.screenshot(path=str(ARTEFACTS / "e2e-person-edit-failure.png"), full_page=True)
            raise
        context.close()
    person = Person.objects.get(pk=person.pk)
    assert person.name == "Rosa Núñez" and person.language == "es"
