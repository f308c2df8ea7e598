"""The worker committee's record (decisions with a text per language, meetings counted
as participation), demands (status as data) and the enforcement of commitments: a check
falls due, is left unanswered or found broken, and is raised to the coordinators."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from amparo.channels.models import Delivery
from amparo.conftest import make_user
from amparo.people import record
from amparo.people.models import CommitmentCheck, Committee, Demand, Organization
from amparo.people.participation import activity_create, attendance_check_in, participation_count
from amparo.tests.factories import PersonFactory


def _worker_committee(network):
    return Committee.objects.get(network=network, kind=Committee.Kind.WORKER)


@pytest.mark.django_db
def test_a_decision_keeps_a_text_per_language_and_a_missing_one_shows_as_missing(network_a):
    committee = _worker_committee(network_a)
    priority = record.priority_create(
        network=network_a, name={"es": "Abuso laboral", "en": "Workplace abuse"}
    )
    meeting = activity_create(
        network=network_a, title="Comité obrero", starts_at=timezone.now(), committee=committee
    )
    decision = record.decision_record(
        committee=committee,
        texts={"es": "Exigir al alcalde aviso de redadas", "en": "  ", "xx": "ignored"},
        meeting=meeting,
        priorities=[priority],
    )
    assert decision.text == {"es": "Exigir al alcalde aviso de redadas"}
    texts = record.decision_texts(decision, ["en", "es"])
    assert [(t.language, t.text) for t in texts] == [
        ("en", ""),
        ("es", "Exigir al alcalde aviso de redadas"),
    ]
    assert list(record.current_decisions(network_a)) == [decision]
    with pytest.raises(ValidationError):
        record.decision_record(committee=committee, texts={"es": " ", "en": ""})

    # the committee's meeting counts as participation
    member = PersonFactory.create(network=network_a)
    since = timezone.now() - timedelta(hours=1)
    attendance_check_in(activity=meeting, person=member)
    assert participation_count(member, since) == 1


@pytest.mark.django_db
def test_a_demand_moves_only_along_its_statuses(network_a):
    demand = record.demand_create(
        network=network_a, target_name="Alcaldía", what="Avisar a la comunidad de redadas"
    )
    assert demand.status == Demand.Status.DRAFTED
    with pytest.raises(ValidationError):
        record.demand_move(demand=demand, status="won")  # not delivered yet
    with pytest.raises(ValidationError):
        record.commitment_add(demand=demand, promise="Avisar")
    demand = record.demand_move(demand=demand, status="delivered")
    assert demand.asked_on == timezone.localdate()
    demand = record.demand_move(demand=demand, status="won")
    with pytest.raises(ValidationError):
        record.demand_move(demand=demand, status="drafted")
    assert Demand.objects.get().status == "won"


@pytest.mark.django_db
def test_a_commitment_check_falls_due_and_escalates_when_left_unanswered(network_a):
    coordinator = make_user(network_a, "coord@a.example", ["coordinator"])
    PersonFactory.create(network=network_a, user=coordinator, language="es")
    office = Organization.objects.create(
        network=network_a, kind="office", name="Alcaldía de Northampton", phone="+14135550100"
    )
    demand = record.demand_create(
        network=network_a, target=office, target_name="", what="Avisar de redadas"
    )
    record.demand_move(demand=demand, status="delivered")
    demand = record.demand_move(demand=demand, status="won")
    start = timezone.now()
    commitment = record.commitment_add(
        demand=demand, promise="Avisar a la comunidad de cada redada", check_every_days=30
    )
    assert record.commitment_checks_due() == 0  # nothing due yet
    with time_machine.travel(start + timedelta(days=30), tick=False):
        assert record.commitment_checks_due() == 1
        check = CommitmentCheck.objects.get()
        assert check.outcome == "pending" and check.escalated_at is None
        assert record.commitment_checks_due() == 0  # opened once
        commitment.refresh_from_db()
        assert commitment.next_check_on == timezone.localdate() + timedelta(days=30)
    assert not Delivery.objects.filter(purpose="commitment-raised").exists()
    with time_machine.travel(start + timedelta(days=30 + record.CHECK_GRACE_DAYS), tick=False):
        assert record.commitment_checks_due() == 1
        assert record.commitment_checks_due() == 0  # raised once
    raised = Delivery.objects.get(purpose="commitment-raised")
    assert raised.language == "es" and "atrasada" in raised.body
    assert "Alcaldía de Northampton" in raised.body
    alerts = record.enforcement_alerts(network_a)
    assert [a.pk for a in alerts] == [check.pk]
    assert alerts[0].commitment.demand.target.phone == "+14135550100"


@pytest.mark.django_db
def test_a_broken_commitment_is_raised_at_once(network_a):
    coordinator = make_user(network_a, "coord@a.example", ["coordinator"])
    PersonFactory.create(network=network_a, user=coordinator, language="en")
    demand = record.demand_create(network=network_a, target_name="Mayor", what="Warn of raids")
    record.demand_move(demand=demand, status="delivered")
    demand = record.demand_move(demand=demand, status="partly")
    commitment = record.commitment_add(demand=demand, promise="Warn the community")
    check = record.check_open(commitment)
    record.check_answer(check=check, kept=False, note="No warning on 3 March")
    raised = Delivery.objects.get(purpose="commitment-raised")
    assert raised.language == "en" and "broken" in raised.body
    with pytest.raises(ValidationError):
        record.check_answer(check=check, kept=True)
    kept = record.check_open(commitment, timezone.localdate() + timedelta(days=1))
    record.check_answer(check=kept, kept=True)
    assert [a.pk for a in record.enforcement_alerts(network_a)] == [check.pk]
    assert Delivery.objects.filter(purpose="commitment-raised").count() == 1
