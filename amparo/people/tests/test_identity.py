"""Who sent this text: every person of the network with the number, found by its blind
index, whatever way the number is written; dead phones and removed people count (a STOP
must reach them), removed people last."""

from __future__ import annotations

import pytest
from django.utils import timezone

from amparo.people.identity import text_sender
from amparo.people.models import Person, PersonPhone
from amparo.people.services import person_set_status

NUMBER = "+14135550177"


def _person(network, name, phone=NUMBER, language="es"):
    person = Person.objects.create(network=network, name=name, language=language)
    PersonPhone.objects.create(person=person, number=phone)
    return person


@pytest.mark.django_db
def test_everyone_with_the_number_in_this_network_removed_people_last(network_a, network_b):
    removed = _person(network_a, "Rosa", language="en")
    person_set_status(person=removed, status=Person.Status.REMOVED)
    lola = _person(network_a, "Lola")
    marta = _person(network_a, "Marta")
    PersonPhone.objects.filter(person=marta).update(dead_at=timezone.now())
    _person(network_b, "Other network")
    _person(network_a, "Someone else", phone="+14135550178")

    sender = text_sender(network=network_a, address="(413) 555-0177")
    assert sender.network == network_a
    assert sender.people == [lola, marta, removed]
    assert sender.person == lola and sender.language == "es"


@pytest.mark.django_db
def test_a_stranger_or_an_address_that_is_no_number_is_nobody(network_a):
    network_a.languages = ["en", "es"]
    _person(network_a, "Lola")
    for address in ("+14135550199", "not a number", ""):
        sender = text_sender(network=network_a, address=address)
        assert sender.people == [] and sender.person is None
        assert sender.language == "en"  # the network's first language
