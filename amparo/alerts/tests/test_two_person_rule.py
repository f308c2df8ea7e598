"""The two-person rule for alerts to everyone: whatever the kind or drill flag, an alert
whose audience reaches the members (tier 3) waits for a second approver; a drill may
not go to the role every member holds; whoever asks for the approval cannot give it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from amparo.alerts.drills import DrillAudienceError, drill_launch
from amparo.alerts.models import Alert, AlertKind
from amparo.alerts.services import AlertError, alert_approve, alert_create, alert_launch
from amparo.channels.models import Delivery
from amparo.conftest import client_for, make_user

from .test_planning import area, confirmed_incident, person  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", AlertKind.values)
@pytest.mark.parametrize("is_drill", [False, True])
def test_every_alert_that_reaches_the_members_needs_a_second_approver(
    network_a,
    area,  # noqa: F811
    coordinator_a,
    kind,
    is_drill,
) -> None:
    person(network_a, area["holyoke"], available_now=True)
    member = person(network_a, area["holyoke"], roles=("member",))
    incident = confirmed_incident(network_a, place=area["holyoke"])
    alert = alert_create(
        network=network_a, kind=kind, incident=incident, actor=coordinator_a, is_drill=is_drill
    )
    alert = alert_launch(alert=alert, actor=coordinator_a)
    reaches_members = alert.kind == AlertKind.MEMBERS  # the only kind with tier 3
    if reaches_members:
        assert alert.status == Alert.Status.AWAITING_APPROVAL
        assert not Delivery.objects.exists() and not alert.recipients.exists()
        second = make_user(network_a, "second@a.example", ["coordinator"])
        alert = alert_approve(alert=alert, actor=second)
        assert alert.status == Alert.Status.SENDING
    else:
        assert alert.status == Alert.Status.SENDING
    # The member is messaged only by an alert a second person approved.
    reached = alert.recipients.filter(person=member).exists()
    assert reached == reaches_members
    assert reached == (alert.approved_by_id is not None)


def test_the_person_asking_for_approval_cannot_give_it(
    network_a,
    area,  # noqa: F811
    coordinator_a,
) -> None:
    person(network_a, area["holyoke"], roles=("member",))
    incident = confirmed_incident(network_a, place=area["holyoke"])
    alert = alert_create(network=network_a, kind=AlertKind.MEMBERS, incident=incident)
    assert alert.created_by is None  # made by code, not by a person
    alert = alert_launch(alert=alert, actor=coordinator_a)
    assert alert.status == Alert.Status.AWAITING_APPROVAL and alert.created_by == coordinator_a
    with pytest.raises(AlertError):
        alert_approve(alert=alert, actor=coordinator_a)
    assert not Delivery.objects.exists()


def test_a_drill_cannot_go_to_every_member(
    network_a,
    area,  # noqa: F811
    coordinator_a,
) -> None:
    person(network_a, area["holyoke"], roles=("member",))
    with pytest.raises(DrillAudienceError):
        drill_launch(
            network=network_a,
            actor=coordinator_a,
            message={"en": "Test"},
            tiers=[["rapid-responder"], ["member"]],
        )
    response = client_for(coordinator_a).post(
        reverse("alerts:drill_new"), {"tier1": ["member"], "message_en": "Test"}
    )
    assert response.status_code == 200
    assert "A drill cannot go to every member" in response.content.decode()
    assert not Alert.objects.exists() and not Delivery.objects.exists()
