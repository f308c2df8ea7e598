from __future__ import annotations

from datetime import date

import pytest

from amparo.channels.models import Delivery
from amparo.channels.outbox import outbox_write
from amparo.channels.services import inbound_receive
from amparo.people.filters import PeopleFilter, channel_counts
from amparo.people.importing import parse_date
from amparo.people.models import Person
from amparo.people.services import PersonData, person_upsert

NUMBER = "+14135550131"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("word", "language", "expected"), [("STOP", "en", "no more"), ("  Baja. ", "es", "no recibirá")]
)
def test_stop_by_text_opts_out_everywhere_and_start_takes_it_back(
    network_a, word, language, expected
):
    person, _ = person_upsert(
        network=network_a,
        data=PersonData(name="Lola", phones=[NUMBER], language=language, status="active"),
    )
    assert channel_counts(PeopleFilter().apply(network_a))["sms"] == 1
    waiting = outbox_write(
        network=network_a, channel="sandbox", to=NUMBER, body="queued", purpose="message"
    )
    inbound_receive(network=network_a, channel="sandbox", from_address=NUMBER, body=word)
    assert Person.objects.get(pk=person.pk).opted_out_at is not None
    assert Delivery.objects.get(pk=waiting.pk).status == "failed"  # not sent after STOP
    assert channel_counts(PeopleFilter().apply(network_a))["sms"] == 0
    reply = Delivery.objects.get(purpose="reply")
    assert expected in reply.body and reply.language == language
    inbound_receive(network=network_a, channel="sandbox", from_address=NUMBER, body="start")
    assert Person.objects.get(pk=person.pk).opted_out_at is None


@pytest.mark.django_db
def test_other_words_and_other_networks_are_left_alone(network_a, network_b):
    person, _ = person_upsert(network=network_a, data=PersonData(name="Lola", phones=[NUMBER]))
    inbound_receive(
        network=network_a, channel="sandbox", from_address=NUMBER, body="stop the raid!"
    )
    inbound_receive(network=network_b, channel="sandbox", from_address=NUMBER, body="STOP")
    assert Person.objects.get(pk=person.pk).opted_out_at is None


def test_ambiguous_import_dates_are_refused_not_guessed():
    today = date(2026, 11, 21)
    assert parse_date("3/4/2024", today) is None  # March 4 or 3 April?
    assert parse_date("3/15/2024", today) == date(2024, 3, 15)
    assert parse_date("15/3/2024", today) == date(2024, 3, 15)
    assert parse_date("2024-03-04", today) == date(2024, 3, 4)
    assert parse_date("4/4/2024", today) == date(2024, 4, 4)
