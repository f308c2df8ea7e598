"""Requests, eligibility with its evidence, approvals, declines with a referral, bonds
followed to the refund, and who sees names in the reports."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from amparo.accounts.models import AuditEvent
from amparo.cases.services import case_state_set, state_of
from amparo.channels.models import Delivery
from amparo.conftest import client_for, password_only_client
from amparo.fund import services as s
from amparo.fund.models import BondState, FundRequest
from amparo.people.models import Organization
from amparo.people.participation import activity_create, attendance_check_in
from amparo.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _ask(case, actor, amount, kind="rent", phone=""):
    return s.request_create(
        case=case,
        kind=kind,
        amount=Decimal(amount),
        purpose="rent for May",
        actor=actor,
        phone=phone,
    )


def test_eligibility_is_the_record_against_the_rule(funded, case_a, legal_a, approver):
    fund = s.fund_of(funded)
    fund.min_activities = 2
    fund.save()
    person = PersonFactory.create(network=funded, phone="+14135550450", language="es")
    req = _ask(case_a, legal_a, "100", phone="+1 413 555 0450")
    check = s.eligibility(req)
    assert (check.person, check.activities, check.qualifies) == (person, 0, False)
    with pytest.raises(s.FundRefused, match="does not meet the rule"):
        s.request_decide(req=req, approver=approver, verdict="approve", reason="ok")
    for day in (3, 40):
        activity = activity_create(
            network=funded, title="assembly", starts_at=timezone.now() - timedelta(days=day)
        )
        attendance_check_in(activity=activity, person=person)
    assert s.eligibility(req).activities == 2
    assert s.eligibility(req).qualifies


def test_decline_texts_the_referral_in_the_persons_language(funded, case_a, legal_a, approver):
    fund = s.fund_of(funded)
    fund.min_activities = 3
    fund.save()
    PersonFactory.create(network=funded, phone="+14135550451", language="es")
    clinic = Organization.objects.create(
        network=funded, kind="legal", name="Clínica Legal Gratuita", phone="+14135550499"
    )
    req = _ask(case_a, legal_a, "100", phone="+14135550451")
    s.request_decide(
        req=req, approver=approver, verdict="decline", reason="no participation", referral=clinic
    )
    req.refresh_from_db()
    assert req.status == FundRequest.Status.DECLINED
    assert req.decisions.get().reason == "no participation"
    (text,) = Delivery.objects.filter(purpose="fund-decision")
    assert text.to_address == "+14135550451"
    assert "Clínica Legal Gratuita" in text.body and "fondo de solidaridad" in text.body
    audit = AuditEvent.objects.filter(target_type="fund.decision").get()
    assert audit.fields == ["reason", "verdict"] and "decline" in audit.note
    assert "no participation" not in audit.note  # the reason is sealed with the case


def test_two_different_approvers_above_the_threshold_and_never_ones_own(
    funded, case_a, legal_a, approver, approver2
):
    req = _ask(case_a, legal_a, "600")
    assert s.approvals_needed(req) == 2
    told = {d.to_address: d.body for d in Delivery.objects.filter(purpose="fund-waiting")}
    assert f"/fund/{req.pk}/" in told["+14135550401"]  # a text tells; only the web approves
    assert "espera su aprobación" in told["+14135550402"]  # in the approver's language
    with pytest.raises(s.FundRefused, match="own request"):
        s.request_decide(req=req, approver=legal_a, verdict="approve", reason="mine")
    s.request_decide(req=req, approver=approver, verdict="approve", reason="member, urgent")
    with pytest.raises(s.FundRefused, match="another approver"):
        s.request_decide(req=req, approver=approver, verdict="approve", reason="again")
    assert s.balances(funded)["cash"] == Decimal("1000")
    s.request_decide(req=req, approver=approver2, verdict="approve", reason="agreed")
    req.refresh_from_db()
    assert req.status == FundRequest.Status.PAID
    assert s.balances(funded) == {
        "cash": Decimal("400"),
        "bonds": 0,
        "donations": Decimal("-1000"),
        "grants": Decimal("600"),
        "forfeits": 0,
    }
    small = _ask(case_a, legal_a, "401")
    with pytest.raises(s.FundRefused, match=r"has \$400.00; this needs \$401"):
        s.request_decide(req=small, approver=approver, verdict="approve", reason="rent")
    assert not small.decisions.exists()  # a refused approval leaves nothing behind


def test_a_bond_is_chased_when_the_case_closes_until_refunded(
    funded, case_a, legal_a, approver, treasurer, coordinator_a
):
    req = _ask(case_a, legal_a, "300", kind="bond")
    assert req.bond_state.slug == "requested"
    s.request_decide(req=req, approver=approver, verdict="approve", reason="bond before transfer")
    req.refresh_from_db()
    s.bond_posted(
        req=req, payer_kind="citizen", payer="Ana Ciudadana", receipt="R-1", actor=treasurer
    )
    assert s.balances(funded)["bonds"] == Decimal("300")
    assert s.refunds_chase() == 0  # the case is open
    case_state_set(case=case_a, state=state_of(funded, "closed"), actor=coordinator_a)
    assert s.refunds_chase() == 1
    assert s.refunds_chase() == 0  # once a week
    (text,) = Delivery.objects.filter(purpose="fund-refund")
    assert text.to_address == "+14135550301" and "fianza" in text.body
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert s.refunds_chase() == 1
    refunded = BondState.objects.get(network=funded, slug="refunded")
    with pytest.raises(s.FundRefused, match="At most"):
        s.bond_state_set(req=req, state=refunded, actor=treasurer, amount=Decimal("300.01"))
    s.bond_state_set(req=req, state=refunded, actor=treasurer)
    assert s.balances(funded)["cash"] == Decimal("1000") and s.balances(funded)["bonds"] == 0
    with time_machine.travel(timezone.now() + timedelta(days=20)):
        assert s.refunds_chase() == 0  # received: no more reminders


def test_reports_name_only_for_who_may_open_the_case(
    funded, case_a, legal_a, approver, coordinator_a, treasurer
):
    req = _ask(case_a, legal_a, "100")
    s.request_decide(req=req, approver=approver, verdict="approve", reason="ok")
    month = timezone.localdate().strftime("%Y-%m")
    for user, named in ((treasurer, False), (approver, False), (coordinator_a, True)):
        client = client_for(user)
        page = client.get(f"/fund/statement/?month={month}").content.decode()
        assert "$100.00" in page
        assert ("Juan Carlos" in page) is named
        text = client.get(f"/fund/statement/?month={month}&format=csv").content.decode()
        assert "100.00" in text and ("Juan Carlos" in text) is named
        home = client.get("/fund/").content.decode()
        assert ("Juan Carlos" in home) is named
    assert client_for(legal_a).get("/fund/").status_code == 403
    assert client_for(treasurer).get("/fund/statement/?format=pdf").content.startswith(b"%PDF")


def test_approving_needs_the_second_factor(funded, case_a, legal_a, approver):
    req = _ask(case_a, legal_a, "100")
    data = {"verdict": "approve", "reason": "ok"}
    assert password_only_client(approver).post(f"/fund/{req.pk}/decide/", data).status_code == 403
    assert client_for(approver).post(f"/fund/{req.pk}/decide/", data).status_code == 302
    req.refresh_from_db()
    assert req.status == FundRequest.Status.PAID


def test_who_it_was_for_goes_with_the_case(funded, case_a, legal_a, approver):
    PersonFactory.create(network=funded, phone="+14135550452")
    req = _ask(case_a, legal_a, "100", phone="+14135550452")
    s.request_decide(req=req, approver=approver, verdict="approve", reason="ok")
    case_a.shred()
    req = FundRequest.objects.get(pk=req.pk)
    assert (req.person_ref, req.purpose) == ("", "") or not req.person_ref
    assert s.person_of(req) is None
    assert s.balances(funded)["grants"] == Decimal("100")  # the books keep the amount
