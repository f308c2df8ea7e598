"""The one access path (accounts/access.py): each app's getter built on one base answers
404 for another network's row, 403 for a missing capability in one's own network (the
same 403 whatever the id), and a getter's own rule (a committee's chair) gives its page
and nothing more."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from amparo.accounts.roles import Cap
from amparo.accounts.tests.test_needtoknow import request_as
from amparo.conftest import make_user
from amparo.people.access import get_committee_for_user, get_task_for_user
from amparo.people.committees import committee_member_add, task_create
from amparo.people.models import Committee, Person
from amparo.people.services import PersonData, person_upsert
from amparo.reports.access import get_incident_for_user
from amparo.reports.models import Incident


@pytest.mark.django_db
def test_an_incident_through_its_getter(
    network_a, network_b, coordinator_a, volunteer_a, coordinator_b
):
    ours = Incident.objects.create(network=network_a)
    theirs = Incident.objects.create(network=network_b)
    as_a = request_as(coordinator_a, network_a)
    assert get_incident_for_user(as_a, ours.pk) == ours
    assert get_incident_for_user(as_a, ours.pk, capability=Cap.DISPATCH) == ours
    for pk in (theirs.pk, 10**9, "x", None):  # another network's; missing; junk
        with pytest.raises(Http404):
            get_incident_for_user(as_a, pk)
    # B's coordinator holds every capability, in B: A's incident is not there for them
    with pytest.raises(Http404):
        get_incident_for_user(request_as(coordinator_b, network_b), ours.pk)
    # A's volunteer may not open incidents: 403 before any lookup, whatever the id
    as_volunteer = request_as(volunteer_a, network_a)
    for pk in (ours.pk, theirs.pk, 10**9):
        with pytest.raises(PermissionDenied):
            get_incident_for_user(as_volunteer, pk)
    # a login without a network (no active membership): nothing exists
    outsider = make_user(None, "nobody@example.org", [])
    with pytest.raises(Http404):
        get_incident_for_user(request_as(outsider, network_a), ours.pk)


@pytest.mark.django_db
def test_a_chair_opens_their_committee_by_the_getters_rule_and_nothing_more(network_a):
    chair = make_user(network_a, "chair@a.example", ["verifier"])  # no member capability
    person, _ = person_upsert(network=network_a, data=PersonData(name="Chair", phones=[]))
    Person.objects.filter(pk=person.pk).update(user=chair)
    solidarity = Committee.objects.get(network=network_a, slug="solidarity")
    media = Committee.objects.get(network=network_a, slug="media")
    committee_member_add(committee=solidarity, person=person, is_chair=True)
    task = task_create(committee=solidarity, title="Rides", assignee=None, due_date=None)
    as_chair = request_as(chair, network_a)
    assert get_committee_for_user(as_chair, solidarity.pk) == solidarity
    assert get_task_for_user(as_chair, task.pk) == task
    with pytest.raises(PermissionDenied):  # another committee
        get_committee_for_user(as_chair, media.pk)
    with pytest.raises(PermissionDenied):  # a view asking for a capability: that one alone
        get_committee_for_user(as_chair, solidarity.pk, capability=Cap.MEMBERS_MANAGE)
    # once the network removed the person, their login chairs nothing
    Person.objects.filter(pk=person.pk).update(status=Person.Status.REMOVED)
    for get, pk in ((get_committee_for_user, solidarity.pk), (get_task_for_user, task.pk)):
        with pytest.raises(PermissionDenied):
            get(as_chair, pk)
