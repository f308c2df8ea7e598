"""A member makes a family preparedness plan from the dashboard and prints it (issue 18):
log in → the dashboard's "Your family preparedness plan" → the form → saved → "Print the
plan (PDF)" downloads a PDF in the plan's language. Then the congregation's contact
finds the sanctuary rota from the dashboard and sees its gap. After the login page the
test never types an address.

Screenshots (1280 px, and the phone width 390 px) go to var/test/e2e-family-plan/."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from pytest_django.live_server_helper import LiveServer

from amparo.cases.models import Case
from amparo.cases.services import CaseInput, case_open
from amparo.conftest import make_network, make_user
from amparo.people.models import Organization
from amparo.support.models import FamilyPlan, RotaSlot, Sanctuary

from .conftest import ARTEFACTS, chromium, enrol_authenticator, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OUT = ARTEFACTS / "e2e-family-plan"


def _seed():
    network = make_network("e2e-plan", "Red de Respuesta E2E")
    coordinator = make_user(network, "coord@plan.example", ["coordinator"], name="Cora")
    member = make_user(network, "member@plan.example", [], name="Marisol Núñez")
    contact = make_user(network, "pastor@plan.example", [], name="Pastora Elena")
    case: Case = case_open(
        network=network,
        actor=coordinator,
        data=CaseInput(given_names="Ramón", family_names="Reyes Castillo"),
    )
    church = Organization.objects.create(network=network, kind="congregation", name="Iglesia Luz")
    sanctuary = Sanctuary.objects.create(
        network=network, case=case, congregation=church, contact=contact
    )
    soon = timezone.now() + timedelta(days=1)
    RotaSlot.objects.create(sanctuary=sanctuary, kind="overnight", starts_at=soon, hours=10)
    return member, contact


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def test_member_makes_and_prints_a_plan_and_the_contact_sees_the_rota(
    live_server: LiveServer,
) -> None:
    member, contact = _seed()
    member_app, contact_app = enrol_authenticator(member), enrol_authenticator(contact)
    OUT.mkdir(parents=True, exist_ok=True)
    pdf_text = ""
    with chromium() as browser:
        context = browser.new_context(
            base_url=live_server.url,
            locale="en-US",
            viewport={"width": 390, "height": 844},
            accept_downloads=True,
        )
        page = context.new_page()
        try:
            log_in(page, member.email, member_app)  # the last page.goto: clicks from here on
            page.get_by_role("link", name="Your family preparedness plan").click()
            expect(
                page.get_by_role("heading", name="Your family preparedness plan")
            ).to_be_visible()
            page.get_by_label("Language of the plan").select_option("es")
            page.get_by_label("Each child and who takes care").fill("Sofía (9): su tía Marta Ríos")
            page.get_by_label("Where your documents are kept").fill("Caja azul en el armario")
            page.get_by_label("Emergency contacts").fill("Marta Ríos")
            page.get_by_label("Your lawyer").fill("Abril Abogada, 413 555 0190")
            page.get_by_label("Who may see this plan").fill("Marta Ríos, 413 555 0161")
            _shot(page, "1-plan-form-390px")
            page.get_by_role("button", name="Save the plan").click()
            expect(page.locator("ul.messages")).to_contain_text("Your family plan is saved")
            with page.expect_download() as info:
                page.get_by_role("link", name="Print the plan (PDF)").click()
            pdf = info.value.path().read_bytes()
            pdf_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
            _shot(page, "2-plan-saved-390px")
            context.clear_cookies()

            log_in(page, contact.email, contact_app)
            page.get_by_role("link", name="Sanctuary rotas").click()
            expect(page.locator("main")).to_contain_text("1 gap in the coming days")
            page.get_by_role("link", name="Iglesia Luz").click()
            expect(page.locator("#gap-count")).to_contain_text("1 turn unfilled in the next 3 days")
            expect(page.locator("tr.gap")).to_contain_text("Overnight presence")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, width
            _shot(page, "3-rota-contact-390px")
        finally:
            context.close()
    assert "Plan de preparación familiar" in pdf_text
    assert "Sofía (9): su tía Marta Ríos" in pdf_text and "Caja azul" in pdf_text
    plan = FamilyPlan.objects.get(owner=member)
    assert plan.language == "es" and plan.viewers.get().phone == "+14135550161"
