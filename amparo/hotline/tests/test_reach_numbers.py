"""The hotline texts and rings people by the reach flags (people/reach.py): an opt-out
of one channel, or a phone that takes only the other, counts the same everywhere."""

from __future__ import annotations

import pytest

from amparo.hotline.intake import _sms_numbers
from amparo.hotline.services import ring_numbers
from amparo.people.models import PersonPhone
from amparo.people.reach import reach_refresh
from amparo.people.services import person_opt_out
from amparo.people.texting import person_sms_number
from amparo.tests.factories import PersonFactory


@pytest.mark.django_db
def test_texts_and_calls_go_by_the_reach_flags(network_a) -> None:
    both = PersonFactory.create(network=network_a, phone="+14135550131")
    no_texts = PersonFactory.create(network=network_a, phone="+14135550132")
    no_calls = PersonFactory.create(network=network_a, phone="+14135550133")
    landline = PersonFactory.create(network=network_a, phones=["+14135550134", "+14135550135"])
    person_opt_out(person=no_texts, channel="sms")
    person_opt_out(person=no_calls, channel="voice")
    first = landline.phones.order_by("-is_primary", "id").first()
    PersonPhone.objects.filter(pk=first.pk).update(sms_ok=False)  # texts go to the other
    reach_refresh([landline.pk])
    people = [both, no_texts, no_calls, landline]
    texted = {p.pk: n for p, n in _sms_numbers(people)}
    assert texted == {
        both.pk: "+14135550131",
        no_calls.pk: "+14135550133",
        landline.pk: "+14135550135",
    }
    rung = {p.pk: n for p, n in ring_numbers(people)}
    assert rung == {
        both.pk: "+14135550131",
        no_texts.pk: "+14135550132",
        landline.pk: "+14135550134",
    }
    assert person_sms_number(no_texts) == "" and person_sms_number(both) == "+14135550131"
