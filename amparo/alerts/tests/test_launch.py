"""Launching: the reports rule, recipients and outbox rows, incident → responding,
escalation steps, the second approver for member alerts, drills."""

from __future__ import annotations

from datetime import timedelta

import pytest

from amparo.alerts.models import Alert, AlertKind, AlertRecipient, EscalationPolicy
from amparo.alerts.services import AlertError, alert_approve, alert_create, alert_launch
from amparo.channels.models import Delivery
from amparo.conftest import make_user
from amparo.reports.models import IncidentStatus
from amparo.reports.services import AlertNotAllowed
from amparo.tests.factories import PersonFactory, ResponderFactory

from .test_planning import area, confirmed_incident  # noqa: F401


def test_no_squad_for_an_unconfirmed_incident(network_a, area, coordinator_a) -> None:  # noqa: F811
    ResponderFactory.create(network=network_a, place=area["holyoke"], available_now=True)
    incident = confirmed_incident(network_a)
    incident.status = IncidentStatus.VERIFYING
    incident.save()
    alert = alert_create(network=network_a, kind=AlertKind.SQUAD, incident=incident)
    with pytest.raises(AlertNotAllowed):
        alert_launch(alert=alert, actor=coordinator_a)
    assert not AlertRecipient.objects.exists() and not Delivery.objects.exists()


def test_squad_launch(network_a, area, coordinator_a) -> None:  # noqa: F811
    people = [
        ResponderFactory.create(network=network_a, place=area["holyoke"], available_now=True)
        for _ in range(3)
    ]
    EscalationPolicy.objects.create(
        network=network_a,
        kind=AlertKind.SQUAD,
        steps=[
            {"after_minutes": 10, "need": 6, "action": "widen", "radius_km": 15},
            {"after_minutes": 20, "action": "page_coordinators"},
        ],
    )
    incident = confirmed_incident(network_a, place=area["holyoke"])
    alert = alert_create(network=network_a, kind=AlertKind.SQUAD, incident=incident)
    alert = alert_launch(alert=alert, actor=coordinator_a)
    assert alert.launched_at is not None and alert.expires_at is not None
    assert alert.status == Alert.Status.SENDING and alert.expires_at > alert.launched_at
    recipients = list(alert.recipients.all())
    assert {r.person_id for r in recipients} == {p.pk for p in people}
    assert all(len(r.token_hash) >= 32 and r.code for r in recipients)
    deliveries = list(Delivery.objects.filter(alert=alert))
    assert len(deliveries) == 3 and all(d.tier == 1 and d.channel_rank == 0 for d in deliveries)
    assert all("/a/" in d.body and "Holyoke" in d.body for d in deliveries)
    assert len({d.body for d in deliveries}) == 3  # each its own magic link
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESPONDING
    steps = list(alert.escalation_steps.order_by("position"))
    assert [s.action for s in steps] == ["widen", "page_coordinators"]
    assert steps[0].due_at == alert.launched_at + timedelta(minutes=10)
    assert steps[0].params == {"need": 6, "radius_km": 15}
    with pytest.raises(AlertError):
        alert_launch(alert=alert, actor=coordinator_a)  # never twice


def test_member_alert_needs_a_second_approver(network_a, area, coordinator_a) -> None:  # noqa: F811
    PersonFactory.create(network=network_a, place=area["holyoke"], roles=["member"])
    incident = confirmed_incident(network_a)
    alert = alert_create(
        network=network_a, kind=AlertKind.MEMBERS, incident=incident, actor=coordinator_a
    )
    alert = alert_launch(alert=alert, actor=coordinator_a)
    assert alert.status == Alert.Status.AWAITING_APPROVAL
    assert not Delivery.objects.exists()
    with pytest.raises(AlertError):
        alert_approve(alert=alert, actor=coordinator_a)  # not the same person
    dispatcher = make_user(network_a, "d@a.example", ["dispatcher"])
    with pytest.raises(AlertError):
        alert_approve(alert=alert, actor=dispatcher)  # no NETWORK_MANAGE
    other = make_user(network_a, "o@a.example", ["coordinator"])
    alert = alert_approve(alert=alert, actor=other)
    assert alert.status == Alert.Status.SENDING and alert.approved_by == other
    assert Delivery.objects.filter(alert=alert, tier=3).count() == 1
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CONFIRMED  # a member alert is not a call-out


def test_drill_without_incident(network_a, area, coordinator_a) -> None:  # noqa: F811
    ResponderFactory.create(network=network_a, place=area["holyoke"], available_now=True)
    alert = alert_create(network=network_a, kind=AlertKind.DRILL)
    assert alert.is_drill
    alert = alert_launch(alert=alert, actor=coordinator_a)
    body = Delivery.objects.get(alert=alert).body
    assert "DRILL" in body
    squad = alert_create(network=network_a, kind=AlertKind.SQUAD)
    with pytest.raises((AlertError, AlertNotAllowed)):
        alert_launch(alert=squad, actor=coordinator_a)
