"""One lookup per concept (people/identity.py, people/services.py): a login's own person, and the people
holding a capability whom a text may reach."""

from __future__ import annotations

import pytest
from django.utils import timezone

from amparo.accounts.models import Membership
from amparo.accounts.roles import Cap
from amparo.conftest import make_user
from amparo.people.identity import person_for_user
from amparo.people.models import Person
from amparo.people.services import PersonData, people_with_capability, person_upsert


def _person_of(user, network, name):
    person, _ = person_upsert(network=network, data=PersonData(name=name, status="active"))
    Person.objects.filter(pk=person.pk).update(user=user)
    return Person.objects.get(pk=person.pk)


@pytest.mark.django_db
def test_person_for_user_is_the_logins_own_person_never_a_removed_one(
    network_a, network_b, coordinator_a
):
    assert person_for_user(network=network_a, user=coordinator_a) is None
    mine = _person_of(coordinator_a, network_a, "Alicia")
    _person_of(coordinator_a, network_b, "Alicia in B")
    assert person_for_user(network=network_a, user=coordinator_a) == mine
    Person.objects.filter(pk=mine.pk).update(status=Person.Status.REMOVED)
    assert person_for_user(network=network_a, user=coordinator_a) is None
    assert person_for_user(network=network_a, user=None) is None


@pytest.mark.django_db
def test_people_with_capability_are_the_holders_who_can_be_reached(network_a, network_b):
    def dispatcher(email, network=network_a):
        user = make_user(network, email, ["dispatcher"])
        return user, _person_of(user, network, email)

    _reachable_user, reachable = dispatcher("d1@a.example")
    _stop_user, said_stop = dispatcher("d2@a.example")
    Person.objects.filter(pk=said_stop.pk).update(opted_out_at=timezone.now())
    _removed_user, removed = dispatcher("d3@a.example")
    Person.objects.filter(pk=removed.pk).update(status=Person.Status.REMOVED)
    _inactive_user, inactive = dispatcher("d4@a.example")
    Person.objects.filter(pk=inactive.pk).update(status=Person.Status.INACTIVE)
    ended_user, _ended = dispatcher("d5@a.example")
    Membership.objects.filter(user=ended_user).update(is_active=False)
    off_user, _off = dispatcher("d6@a.example")
    type(off_user).objects.filter(pk=off_user.pk).update(is_active=False)
    dispatcher("d7@b.example", network=network_b)  # another network's
    hotline = make_user(network_a, "h@a.example", ["hotline"])  # without the capability
    _person_of(hotline, network_a, "h")

    assert people_with_capability(network_a, Cap.DISPATCH) == [reachable]
    assert people_with_capability(network_a, Cap.NETWORK_MANAGE) == []
