"""Unusual reading: the coordinator sees who read many records fast and can suspend them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Membership, Network, User
from amparo.accounts.reading import unusual_readers
from amparo.conftest import client_for, make_user

# Until the lead adds the include to the project's URLs, these tests mount the page here.
pytestmark = [pytest.mark.django_db]


def _read(user: User, network: Network, record: int) -> None:
    # Any model will do as the record read; an unsaved one keeps the test fast.
    audit_record(action=AuditEvent.Action.READ, actor=user, network=network, obj=User(pk=record))


def test_many_different_records_in_a_short_time_are_flagged(network_a, coordinator_a, volunteer_a):
    for record in range(6):
        _read(volunteer_a, network_a, 1000 + record)
    for _ in range(20):  # the same record again and again is not mass reading
        _read(coordinator_a, network_a, 1)
    found = unusual_readers(network_a, reads=5, minutes=10)
    assert [r.user.pk for r in found] == [volunteer_a.pk]
    assert found[0].peak == 6 and found[0].total == 6
    assert unusual_readers(network_a, reads=6, minutes=10) == []


def test_reads_spread_out_in_time_or_in_another_network_are_not(
    network_a, network_b, volunteer_a, coordinator_b
):
    start = timezone.now() + timedelta(minutes=1)  # the chain's time only moves forward
    for record in range(6):
        with time_machine.travel(start + timedelta(minutes=11 * record), tick=False):
            _read(volunteer_a, network_a, 1000 + record)
    for record in range(6):
        _read(coordinator_b, network_b, 2000 + record)
    later = start + timedelta(hours=1)
    assert unusual_readers(network_a, reads=1, minutes=10, now=later) == []
    found = unusual_readers(network_a, reads=1, minutes=30, now=later)
    assert [r.user.pk for r in found] == [volunteer_a.pk]


def test_the_page_lists_readers_for_the_coordinator_only(network_a, coordinator_a, volunteer_a):
    for record in range(4):
        _read(volunteer_a, network_a, 1000 + record)
    url = reverse("audit:unusual_reading") + "?reads=3&minutes=10"
    page = client_for(coordinator_a).get(url)
    assert page.status_code == 200
    assert "Roberto Bravo" in page.content.decode()
    assert "Suspend account" in page.content.decode()
    assert client_for(volunteer_a).get(url).status_code == 403
    assert (
        client_for(coordinator_a).get(reverse("audit:unusual_reading") + "?reads=0").status_code
        == 400
    )


def test_suspending_logs_the_reader_out_at_once(network_a, coordinator_a, volunteer_a):
    reader = client_for(volunteer_a)
    assert reader.get(reverse("dashboard")).status_code == 200
    other_session = client_for(volunteer_a)  # a second device
    membership = Membership.objects.get(user=volunteer_a, network=network_a)
    response = client_for(coordinator_a).post(
        reverse("audit:suspend", kwargs={"membership_id": membership.pk})
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    volunteer_a.refresh_from_db()
    assert not membership.is_active and not volunteer_a.is_active
    for client in (reader, other_session):
        assert client.get(reverse("dashboard")).status_code == 302  # back to the login page
    remaining = [s.get_decoded().get("_auth_user_id") for s in Session.objects.all()]
    assert str(volunteer_a.pk) not in remaining and str(coordinator_a.pk) in remaining
    event = AuditEvent.objects.filter(target_type="accounts.membership").latest("id")
    assert event.actor_id == coordinator_a.pk and "sessions=2" in event.note


def test_a_member_of_two_networks_keeps_the_other_one(network_a, network_b, coordinator_a):
    both = make_user(network_a, "dana@example.org", ["committee"], name="Dana")
    make_user(None, "unused@example.org", [])
    from amparo.accounts.services import membership_grant

    membership_grant(user=both, network=network_b, roles=["committee"])
    membership = Membership.objects.get(user=both, network=network_a)
    client_for(coordinator_a).post(
        reverse("audit:suspend", kwargs={"membership_id": membership.pk})
    )
    both.refresh_from_db()
    assert both.is_active
    assert Membership.objects.get(user=both, network=network_b).is_active
    assert not Membership.objects.get(user=both, network=network_a).is_active


def test_suspend_needs_network_manage_and_stays_in_the_network(
    network_a, coordinator_a, volunteer_a, coordinator_b
):
    membership = Membership.objects.get(user=coordinator_a, network=network_a)
    url = reverse("audit:suspend", kwargs={"membership_id": membership.pk})
    assert client_for(volunteer_a).post(url).status_code == 403
    assert client_for(coordinator_b).post(url).status_code == 404
    client_for(coordinator_a).post(url)  # not oneself
    membership.refresh_from_db()
    assert membership.is_active
