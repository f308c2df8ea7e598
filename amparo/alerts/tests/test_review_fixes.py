"""Defects found in review, kept fixed: default escalation, answers matched by code,
a verifier's "NO SÉ <code>" never taken as an alert answer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from amparo.alerts.models import AlertKind, AlertRecipient, EscalationStep
from amparo.alerts.services import alert_create, alert_launch
from amparo.channels.services import inbound_receive
from amparo.lib.crypto.blind import phone_index
from amparo.people.models import SignupConfirmation
from amparo.reports.models import VerificationRequest
from amparo.reports.tests.test_verification import submit
from amparo.tests.factories import ResponderFactory

from .test_planning import area, confirmed_incident  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_network_without_its_own_policy_gets_the_default_escalation(
    network_a,
    area,
    coordinator_a,  # noqa: F811
):
    ResponderFactory.create(network=network_a, place=area["holyoke"], available_now=True)
    incident = confirmed_incident(network_a)
    alert = alert_launch(
        alert=alert_create(network=network_a, kind=AlertKind.SQUAD, incident=incident),
        actor=coordinator_a,
    )
    assert EscalationStep.objects.filter(alert=alert).count() == 3


def test_a_verifiers_answer_with_its_code_is_not_taken_as_an_alert_answer(
    network_a,
    area,
    coordinator_a,  # noqa: F811
):
    p = ResponderFactory.create(
        network=network_a,
        place=area["holyoke"],
        roles=("rapid-responder", "verifier"),
        available_now=True,
    )
    alert = alert_launch(
        alert=alert_create(
            network=network_a, kind=AlertKind.SQUAD, incident=confirmed_incident(network_a)
        ),
        actor=coordinator_a,
    )
    other = submit(network_a).incident
    VerificationRequest.objects.create(
        incident=other,
        verifier=p,
        code="4821",
        token_hash="x" * 10,
        expires_at=timezone.now() + timedelta(hours=1),
    )
    phone = str(p.phones.first().number)
    message = inbound_receive(
        network=network_a, channel="sandbox", from_address=phone, body="NO SÉ 4821"
    )
    assert message.handled_by == "reports.verify"
    assert AlertRecipient.objects.get(alert=alert, person=p).status == "pending"


def test_a_reply_with_a_code_answers_that_alert_not_the_newest(
    network_a,
    area,
    coordinator_a,  # noqa: F811
):
    p = ResponderFactory.create(network=network_a, place=area["holyoke"], available_now=True)
    first = alert_launch(
        alert=alert_create(
            network=network_a, kind=AlertKind.SQUAD, incident=confirmed_incident(network_a)
        ),
        actor=coordinator_a,
    )
    second = alert_launch(
        alert=alert_create(
            network=network_a, kind=AlertKind.SQUAD, incident=confirmed_incident(network_a)
        ),
        actor=coordinator_a,
    )
    r1 = AlertRecipient.objects.get(alert=first, person=p)
    phone = str(p.phones.first().number)
    inbound_receive(network=network_a, channel="sandbox", from_address=phone, body=f"1 {r1.code}")
    r1.refresh_from_db()
    assert r1.status == "going"
    assert AlertRecipient.objects.get(alert=second, person=p).status == "pending"


def test_respond_twice_does_not_send_the_call_out_twice(network_a, area, coordinator_a):
    from amparo.alerts.services import AlertError

    ResponderFactory.create(network=network_a, place=area["holyoke"], available_now=True)
    incident = confirmed_incident(network_a)
    alert_launch(
        alert=alert_create(network=network_a, kind=AlertKind.SQUAD, incident=incident),
        actor=coordinator_a,
    )
    again = alert_create(network=network_a, kind=AlertKind.SQUAD, incident=incident)
    with pytest.raises(AlertError, match="already out"):
        alert_launch(alert=again, actor=coordinator_a)
    assert AlertRecipient.objects.filter(alert=again).count() == 0


def test_closing_the_incident_stops_its_alerts(network_a, area, coordinator_a):
    from amparo.alerts.models import Alert
    from amparo.channels.models import Delivery
    from amparo.reports.services import incident_transition

    ResponderFactory.create(network=network_a, place=area["holyoke"], available_now=True)
    incident = confirmed_incident(network_a)
    alert = alert_launch(
        alert=alert_create(network=network_a, kind=AlertKind.SQUAD, incident=incident),
        actor=coordinator_a,
    )
    assert Delivery.objects.filter(alert=alert, status="queued").exists()
    incident.refresh_from_db()
    incident_transition(incident=incident, to="closed", actor=coordinator_a)
    alert.refresh_from_db()
    assert alert.status == Alert.Status.CANCELLED
    assert not Delivery.objects.filter(alert=alert, status="queued").exists()
    assert not EscalationStep.objects.filter(alert=alert, done_at__isnull=True).exists()


def test_a_yes_answers_an_open_alert_before_a_pending_sign_up(
    network_a,
    area,
    coordinator_a,  # noqa: F811
):
    """The inbound table's order: alert answers come before sign-up confirmations."""
    p = ResponderFactory.create(network=network_a, place=area["holyoke"], available_now=True)
    alert = alert_launch(
        alert=alert_create(
            network=network_a, kind=AlertKind.SQUAD, incident=confirmed_incident(network_a)
        ),
        actor=coordinator_a,
    )
    q = ResponderFactory.create(
        network=network_a, place=area["holyoke"]
    )  # not asked: no open alert
    pending = {
        who: SignupConfirmation.objects.create(
            person=who,
            channel="sms",
            token_hash=phone_index(str(who.phones.first().number)),
            expires_at=timezone.now() + timedelta(days=1),
        )
        for who in (p, q)
    }
    for who, handler in ((p, "alerts.answer"), (q, "people.signup-confirm")):
        message = inbound_receive(
            network=network_a, channel="sandbox", from_address=who.phones.first().number, body="SI"
        )
        assert message.handled_by == handler
    assert AlertRecipient.objects.get(alert=alert, person=p).status == "going"
    assert not AlertRecipient.objects.filter(alert=alert, person=q).exists()
    pending[p].refresh_from_db()
    pending[q].refresh_from_db()
    assert pending[p].confirmed_at is None and pending[q].confirmed_at is not None
