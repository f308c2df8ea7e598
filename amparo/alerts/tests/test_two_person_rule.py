"""The two-person rule for alerts to everyone: whatever the kind or drill flag, an alert
whose audience reaches the members (tier 3) waits for a second approver; a drill to
more people than DRILL_APPROVAL_OVER, or to the role every member holds, waits too
(the same approval); whoever asks for the approval cannot give it."""

from __future__ import annotations

import os

import pytest
from django.urls import reverse

from amparo.alerts.drills import drill_approval_over, drill_launch
from amparo.alerts.models import Alert, AlertKind
from amparo.alerts.services import AlertError, alert_approve, alert_create, alert_launch
from amparo.channels.models import Delivery
from amparo.conftest import client_for, make_user
from amparo.people.services import person_opt_out
from amparo.tests.factories import PersonFactory, ResponderFactory

from .test_planning import area, confirmed_incident  # noqa: F401

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
    ResponderFactory.create(network=network_a, place=area["holyoke"], available_now=True)
    PersonFactory.create(network=network_a, place=area["holyoke"], roles=["attorney"])
    member = PersonFactory.create(network=network_a, place=area["holyoke"], roles=["member"])
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
    PersonFactory.create(network=network_a, place=area["holyoke"], roles=["member"])
    incident = confirmed_incident(network_a, place=area["holyoke"])
    alert = alert_create(network=network_a, kind=AlertKind.MEMBERS, incident=incident)
    assert alert.created_by is None  # made by code, not by a person
    alert = alert_launch(alert=alert, actor=coordinator_a)
    assert alert.status == Alert.Status.AWAITING_APPROVAL and alert.created_by == coordinator_a
    with pytest.raises(AlertError):
        alert_approve(alert=alert, actor=coordinator_a)
    assert not Delivery.objects.exists()


def drill(network, actor, tiers, **extra):
    return drill_launch(
        network=network, actor=actor, message={"en": "Test {link}"}, tiers=tiers, **extra
    )


def test_a_large_drill_waits_for_a_second_approver(
    network_a,
    area,  # noqa: F811
    coordinator_a,
    settings,
) -> None:
    """Audience size, not a role slug: two ordinary roles that together reach more people
    than the threshold wait for a second person, like a member alert."""
    settings.DRILL_APPROVAL_OVER = 3
    for _ in range(2):
        ResponderFactory.create(network=network_a, place=area["holyoke"])  # rapid responders
        PersonFactory.create(network=network_a, place=area["holyoke"], roles=["driver"])
    alert = drill(network_a, coordinator_a, [["rapid-responder"], ["driver"]])
    assert alert.status == Alert.Status.AWAITING_APPROVAL and alert.approved_by_id is None
    assert alert.recipients.count() == 4  # planned, not texted
    assert not Delivery.objects.exists()
    # The dispatcher who asked cannot approve it; a dispatcher without NETWORK_MANAGE
    # cannot either; launching it again does not send it.
    with pytest.raises(AlertError):
        alert_approve(alert=alert, actor=coordinator_a)
    with pytest.raises(AlertError):
        alert_approve(alert=alert, actor=make_user(network_a, "d@a.example", ["dispatcher"]))
    assert alert_launch(alert=alert, actor=coordinator_a).status == Alert.Status.AWAITING_APPROVAL
    assert not Delivery.objects.exists()
    second = make_user(network_a, "second@a.example", ["coordinator"])
    alert = alert_approve(alert=alert, actor=second)
    assert alert.status == Alert.Status.SENDING and alert.approved_by == second
    bodies = [d.body for d in Delivery.objects.filter(alert=alert)]
    assert len(bodies) == 4 and all(b.startswith("[DRILL") for b in bodies)
    assert sorted(alert.recipients.values_list("tier", flat=True)) == [1, 1, 2, 2]


@pytest.mark.parametrize(("people", "waits"), [(3, False), (4, True)])
def test_the_threshold_counts_the_people_the_drill_would_text(
    network_a,
    area,  # noqa: F811
    coordinator_a,
    settings,
    people,
    waits,
) -> None:
    settings.DRILL_APPROVAL_OVER = 3
    for _ in range(people):
        ResponderFactory.create(network=network_a, place=area["holyoke"])
    # no phone: would not be texted
    ResponderFactory.create(network=network_a, place=area["holyoke"], phone="")
    alert = drill(network_a, coordinator_a, [["rapid-responder"]])
    assert (alert.status == Alert.Status.AWAITING_APPROVAL) == waits
    assert Delivery.objects.filter(alert=alert).count() == (0 if waits else people)


def test_the_default_threshold_is_fifty_people() -> None:
    assert not os.environ.get("AMPARO_DRILL_APPROVAL_OVER")  # settings.py's default
    assert drill_approval_over() == 50


def test_a_drill_to_every_member_waits_however_small(
    network_a,
    area,  # noqa: F811
    coordinator_a,
) -> None:
    member = PersonFactory.create(network=network_a, place=area["holyoke"], roles=["member"])
    alert = drill(network_a, coordinator_a, [["rapid-responder"], ["member"]])
    assert alert.status == Alert.Status.AWAITING_APPROVAL
    assert not Delivery.objects.exists()
    alert = alert_approve(alert=alert, actor=make_user(network_a, "s@a.example", ["coordinator"]))
    assert alert.status == Alert.Status.SENDING
    assert Delivery.objects.filter(alert=alert, person=member).count() == 1


def test_someone_who_opts_out_before_the_approval_is_not_texted(
    network_a,
    area,  # noqa: F811
    coordinator_a,
) -> None:
    stays = PersonFactory.create(network=network_a, place=area["holyoke"], roles=["member"])
    leaves = PersonFactory.create(network=network_a, place=area["holyoke"], roles=["member"])
    alert = drill(network_a, coordinator_a, [["member"]])
    assert alert.recipients.count() == 2
    person_opt_out(person=leaves)  # as STOP does: the reach flags follow
    alert = alert_approve(alert=alert, actor=make_user(network_a, "s@a.example", ["coordinator"]))
    assert list(Delivery.objects.filter(alert=alert).values_list("person_id", flat=True)) == [
        stays.pk
    ]
    assert list(alert.recipients.values_list("person_id", flat=True)) == [stays.pk]


def test_the_drill_pages_ask_and_give_the_second_approval(
    network_a,
    area,  # noqa: F811
    coordinator_a,
) -> None:
    PersonFactory.create(network=network_a, place=area["holyoke"], roles=["member"])
    asker = client_for(coordinator_a)
    response = asker.post(reverse("alerts:drill_new"), {"tier1": ["member"], "message_en": "Test"})
    alert = Alert.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("alerts:drill", kwargs={"alert_pk": alert.pk})
    assert alert.status == Alert.Status.AWAITING_APPROVAL and not Delivery.objects.exists()
    page = asker.get(response["Location"]).content.decode()
    assert 'id="drill-waiting"' in page and "drill-approve-form" not in page
    # The asker forging the approval is refused, with the reason.
    forged = asker.post(response["Location"], {"action": "approve"})
    assert forged.status_code == 400
    assert "A different person must approve this alert." in forged.content.decode()
    assert not Delivery.objects.exists()
    # A dispatcher without NETWORK_MANAGE may not approve at all.
    dispatcher = client_for(make_user(network_a, "d@a.example", ["dispatcher"]))
    assert dispatcher.post(response["Location"], {"action": "approve"}).status_code == 403
    second = client_for(make_user(network_a, "s@a.example", ["coordinator"]))
    assert "drill-approve-form" in second.get(response["Location"]).content.decode()
    approved = second.post(response["Location"], {"action": "approve"})
    assert approved.status_code == 302
    alert.refresh_from_db()
    assert (
        alert.status == Alert.Status.SENDING and Delivery.objects.filter(alert=alert).count() == 1
    )


def test_a_waiting_drill_can_be_withdrawn(
    network_a,
    area,  # noqa: F811
    coordinator_a,
) -> None:
    PersonFactory.create(network=network_a, place=area["holyoke"], roles=["member"])
    alert = drill(network_a, coordinator_a, [["member"]])
    client = client_for(coordinator_a)
    url = reverse("alerts:drill", kwargs={"alert_pk": alert.pk})
    assert client.post(url, {"action": "finish"}).status_code == 302
    alert.refresh_from_db()
    assert alert.status == Alert.Status.CANCELLED
    with pytest.raises(AlertError):
        alert_approve(alert=alert, actor=make_user(network_a, "s@a.example", ["coordinator"]))
    assert not Delivery.objects.exists()


def test_each_drill_error_is_shown_with_its_own_message(
    network_a,
    area,  # noqa: F811
    coordinator_a,
    settings,
) -> None:
    client = client_for(coordinator_a)
    url = reverse("alerts:drill_new")
    # Nobody holds the role: not "no SMS channel" (the old message for every error).
    nobody = client.post(url, {"tier1": ["driver"], "message_en": "Test"})
    assert nobody.status_code == 400
    text = nobody.content.decode()
    assert "Nobody with these roles can receive a text message" in text
    assert "No SMS channel is configured" not in text
    PersonFactory.create(network=network_a, place=area["holyoke"], roles=["driver"])
    settings.CHANNEL_ROUTES = {"sms": ""}
    no_sms = client.post(url, {"tier1": ["driver"], "message_en": "Test"})
    assert no_sms.status_code == 400
    assert "No SMS channel is configured" in no_sms.content.decode()
    assert not Alert.objects.exists() and not Delivery.objects.exists()


def test_a_large_drill_of_any_kind_waits_too(
    network_a,
    area,  # noqa: F811
    coordinator_a,
    settings,
) -> None:
    """A drill planned like a real call-out (is_drill on a squad alert) is counted the
    same way: more people than the threshold wait for a second person."""
    settings.DRILL_APPROVAL_OVER = 1
    ResponderFactory.create(network=network_a, place=area["holyoke"], available_now=True)
    ResponderFactory.create(network=network_a, place=area["holyoke"], available_now=True)
    incident = confirmed_incident(network_a, place=area["holyoke"])
    alert = alert_create(network=network_a, kind=AlertKind.SQUAD, incident=incident, is_drill=True)
    alert = alert_launch(alert=alert, actor=coordinator_a)
    assert alert.status == Alert.Status.AWAITING_APPROVAL and not Delivery.objects.exists()
    alert = alert_approve(alert=alert, actor=make_user(network_a, "s@a.example", ["coordinator"]))
    assert alert.status == Alert.Status.SENDING
    assert Delivery.objects.filter(alert=alert).count() == 2
    # a real (not drill) call-out of the same size is not held back
    other = confirmed_incident(network_a, place=area["holyoke"])
    real = alert_create(network=network_a, kind=AlertKind.SQUAD, incident=other)
    real = alert_launch(alert=real, actor=coordinator_a)
    assert real.status == Alert.Status.SENDING and real.recipients.count() == 2
