"""What first-time users of the demo missed (walk): a court accompanier's and a plain
volunteer's login, and an upcoming event with invitations to answer by text."""

from __future__ import annotations

import pytest
from django.utils import timezone

from amparo.channels.models import Delivery
from amparo.core.demo import seed_demo
from amparo.people.models import Activity


@pytest.mark.django_db
def test_the_demo_has_an_upcoming_event_with_invitations_sent():
    seed_demo()
    event = Activity.objects.filter(starts_at__gt=timezone.now()).exclude(place="").get()
    assert event.rsvps.filter(status="invited").count() >= 3
    assert Delivery.objects.filter(purpose="event-invite").count() >= 3
    seed_demo()  # once
    assert Activity.objects.filter(starts_at__gt=timezone.now()).count() == 1
