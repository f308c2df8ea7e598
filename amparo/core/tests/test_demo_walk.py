"""What first-time users of the demo missed (walk): a court accompanier's and a plain
volunteer's login, and an upcoming event with invitations to answer by text."""

from __future__ import annotations

import pytest
from django.utils import timezone

from amparo.accounts.models import User
from amparo.channels.models import Delivery
from amparo.conftest import client_for
from amparo.core.demo import seed_demo
from amparo.people.models import Activity, Person, PersonTraining


@pytest.mark.django_db
def test_the_demo_has_an_upcoming_event_with_invitations_sent():
    seed_demo()
    event = Activity.objects.filter(starts_at__gt=timezone.now()).exclude(place="").get()
    assert event.rsvps.filter(status="invited").count() >= 3
    assert Delivery.objects.filter(purpose="event-invite").count() >= 3
    seed_demo()  # once
    assert Activity.objects.filter(starts_at__gt=timezone.now()).count() == 1


@pytest.mark.django_db
def test_the_demo_has_a_court_accompanier_and_a_volunteer_login():
    logins = {email: roles for email, roles, _key in seed_demo()}
    assert "accompanier" in logins["accompanier@valle.example"]
    assert "volunteer@valle.example" in logins
    accompanier = User.objects.find_by_email("accompanier@valle.example")
    person = Person.objects.get(user=accompanier)
    assert person.roles.filter(slug="court-accompanier").exists()
    training = PersonTraining.objects.get(person=person, training_type__slug="court-accompaniment")
    assert training.expires_on is None or training.expires_on > timezone.localdate()
    volunteer = User.objects.find_by_email("volunteer@valle.example")
    assert Person.objects.filter(user=volunteer).exists()
    for user in (accompanier, volunteer):
        assert user is not None and client_for(user).get("/").status_code == 200
