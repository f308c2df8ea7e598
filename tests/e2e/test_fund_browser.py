"""The solidarity fund by clicks alone (issue 19): the case manager asks for bond money
from the case page → an approver sees the person's record against the rule and approves
(second factor) → a coordinator, on another login, gives the second approval and the
money is paid out → records the bond posted → closes the case → the sweep asks the case
team for the refund → the treasurer posts it back. After the login page the test never
types an address.

Screenshots (1280 px; the request page at 390 px) go to var/test/e2e-fund/."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from amparo.cases.models import CaseTeamRole
from amparo.cases.services import CaseInput, case_open, case_team_add
from amparo.channels.models import Delivery
from amparo.conftest import make_network, make_user
from amparo.fund import services as fund
from amparo.fund.models import FundRequest
from amparo.people.participation import activity_create, attendance_check_in
from amparo.tests.factories import PersonFactory

from .conftest import ARTEFACTS, chromium, enrol_authenticator, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OUT = ARTEFACTS / "e2e-fund"


def _seed():
    network = make_network("e2e-fund", "Red del Fondo E2E")
    coordinator = make_user(network, "coord@fund.example", ["coordinator"], name="Cora")
    approver = make_user(network, "fondo@fund.example", ["fund"], name="Fausto")
    manager = make_user(network, "casos@fund.example", ["case-manager"], name="Camila")
    PersonFactory.create(network=network, user=manager, phone="+14135550601", language="es")
    member = PersonFactory.create(network=network, phone="+14135550602", language="es")
    for days in (5, 30):
        activity = activity_create(
            network=network, title="Asamblea", starts_at=timezone.now() - timedelta(days=days)
        )
        attendance_check_in(activity=activity, person=member)
    case = case_open(
        network=network,
        actor=coordinator,
        data=CaseInput(given_names="Luis", family_names="Torres Vega"),
    )
    case_team_add(
        case=case,
        user=manager,
        role=CaseTeamRole.objects.get(network=network, slug="case-manager"),
        actor=coordinator,
    )
    fund.donation_record(
        network=network,
        amount=Decimal("10000"),
        received_on=timezone.localdate(),
        actor=coordinator,
    )
    return network, coordinator, approver, manager


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def _open_request(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Solidarity fund").click()
    page.locator("#requests").get_by_role("link").first.click()


def test_request_eligibility_two_approvals_bond_closed_case_refund(
    live_server: LiveServer,
) -> None:
    network, coordinator, approver, manager = _seed()
    apps = {u.email: enrol_authenticator(u) for u in (coordinator, approver, manager)}
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()
    with chromium() as browser:

        def login(user):
            context = browser.new_context(
                base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
            )
            page = context.new_page()
            log_in(page, user.email, apps[user.email])  # the last page.goto: clicks from here on
            return page

        page = login(manager)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
        page.get_by_role("link", name=re.compile(r"^Case \d+$")).first.click()
        page.get_by_role("link", name="Request money from the solidarity fund").click()
        page.get_by_label("Kind").select_option("bond")
        page.get_by_label("Amount (USD)").fill("1500")
        page.get_by_label("What it is for").fill("Fianza antes del traslado")
        page.get_by_label("The member's phone number").fill("(413) 555-0602")
        _shot(page, "1-request")
        page.get_by_role("button", name="Send the request").click()
        expect(page.locator("ul.messages")).to_contain_text("sent to the fund's approvers")

        page = login(approver)
        _open_request(page)
        expect(page.locator("#eligibility")).to_contain_text("took part in 2")
        expect(page.locator("#qualifies")).to_contain_text("Qualifies. Needs 2 different approvers")
        page.get_by_label("Your word").select_option("approve")
        page.get_by_label("Reason").fill("Member who organizes; the bond is due before a transfer")
        page.get_by_role("button", name="Record my decision").click()
        expect(page.locator("ul.messages")).to_contain_text("Your decision was recorded")
        expect(page.locator("#request-status")).to_have_text("Waiting for approval")
        page.set_viewport_size({"width": 390, "height": 844})
        _shot(page, "2-first-approval-390px")

        page = login(coordinator)
        _open_request(page)
        expect(page.locator("dl")).to_contain_text("Luis Torres Vega")  # may open the case
        page.get_by_label("Your word").select_option("approve")
        page.get_by_label("Reason").fill("Agreed")
        page.get_by_role("button", name="Record my decision").click()
        expect(page.locator("#request-status")).to_have_text("Approved and paid out")
        expect(page.locator("#request-entries")).to_contain_text("Bond paid · $1500.00")
        page.get_by_label("Who paid the bond to ICE").select_option("citizen")
        page.get_by_label("Their name").fill("Rosa Ciudadana")
        page.get_by_label("Receipt number").fill("ICE-0042")
        page.get_by_role("button", name="The bond was posted").click()
        expect(page.locator("#bond-state")).to_contain_text("Posted")
        _shot(page, "3-paid-and-posted")
        page.get_by_role("link", name=re.compile(r"^Case \d+$")).first.click()
        page.get_by_label("New state").select_option(label="Closed")
        page.get_by_role("button", name="Change the state").click()
        expect(page.locator("#case-state")).to_have_text("Closed")
        page.context.close()

    assert fund.refunds_chase() == 1  # the sweep: the case closed, the bond is still out
    chased = Delivery.objects.get(purpose="fund-refund")
    assert chased.to_address == "+14135550601" and "fianza" in chased.body

    with chromium() as browser:
        context = browser.new_context(
            base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        log_in(page, coordinator.email, apps[coordinator.email])
        _open_request(page)
        page.get_by_label("Bond state").select_option(label="Refunded")
        page.get_by_role("button", name="Move the bond on").click()
        expect(page.locator("#bond-state")).to_have_text("Refunded")
        expect(page.locator("#request-entries")).to_contain_text("Bond refunded · $1500.00")
        page.get_by_role("link", name="Solidarity fund").last.click()
        expect(page.locator("#balances")).to_contain_text("$10000.00")
        _shot(page, "4-refunded")
    state = FundRequest.objects.get().bond_state
    assert state is not None and state.slug == "refunded"
    assert fund.refunds_chase() == 0
