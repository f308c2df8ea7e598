"""Who is this: the people behind a phone number that wrote to us, and the person
record of a logged-in user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from amparo.accounts.access import request_network, request_user
from amparo.accounts.models import Network
from amparo.lib.crypto.blind import phone_index
from amparo.lib.phones import normalize_phone

from .models import Person


@dataclass(frozen=True)
class Sender:
    """Who sent a text to ``network``: everyone there with the number (people may share
    one), removed people last, then the oldest record first."""

    network: Network
    people: list[Person]

    @property
    def person(self) -> Person | None:
        return self.people[0] if self.people else None

    @property
    def language(self) -> str:
        """The language to answer in: the sender's, else the network's first."""
        person = self.person
        return person.language if person else (self.network.languages or ["en"])[0]


def text_sender(*, network: Network, address: str) -> Sender:
    """The people of ``network`` whose phone is ``address``, found by the number's blind
    index. Dead phones count (a text shows the number works), and so do removed people
    (a STOP must reach every record with the number), after the others."""
    try:
        number = normalize_phone(address or "")
    except ValidationError:  # not a phone number: nobody we know
        return Sender(network=network, people=[])
    found = Person.objects.filter(network=network, phones__number_index=phone_index(number))
    people = sorted(found.distinct(), key=lambda p: (p.status == Person.Status.REMOVED, p.pk))
    return Sender(network=network, people=people)


def persons_of_user(*, network: Network, user: Any) -> QuerySet[Person]:
    """The person records linked to this login in ``network`` (usually one), never a
    removed one: a login keeps no person that the network removed."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Person.objects.none()
    return Person.objects.filter(network=network, user=user).exclude(status=Person.Status.REMOVED)


def person_for_user(*, network: Network, user: Any) -> Person | None:
    """The logged-in user's own person record in ``network``, if linked."""
    return persons_of_user(network=network, user=user).order_by("pk").first()


def request_person(request: HttpRequest) -> Person | None:
    """The signed-in user's own person record in the request's network, if linked."""
    return person_for_user(network=request_network(request), user=request_user(request))
