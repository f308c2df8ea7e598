"""The dispatcher's filter over a known seed: role + language + area + training validity."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from amparo.conftest import client_for
from amparo.people.filters import PeopleFilter, channel_counts
from amparo.people.models import Person, Segment
from amparo.people.services import (
    person_opt_out,
    place_get_or_create,
)
from amparo.tests.factories import ResponderFactory

NORTHAMPTON = (42.3251, -72.6412)
SPRINGFIELD = (42.1015, -72.5898)


@pytest.fixture
def seed(network_a):
    northampton = place_get_or_create(
        network=network_a, name="Northampton", latitude=NORTHAMPTON[0], longitude=NORTHAMPTON[1]
    )
    springfield = place_get_or_create(
        network=network_a, name="Springfield", latitude=SPRINGFIELD[0], longitude=SPRINGFIELD[1]
    )
    today = timezone.localdate()
    recent, old = today - timedelta(days=100), today - timedelta(days=500)

    kinds: dict[str, tuple[str, dict[str, Any]]] = {
        "match_es": ("Ana Match", {}),
        "match_bilingual": ("Beto Bilingüe", {"language": "en", "other_languages": ["es"]}),
        "english_only": ("Carl English", {"language": "en"}),
        "springfield": ("Dora Springfield", {"place": springfield}),
        "old_training": ("Eva Vencida", {"trained": old}),
        "no_training": ("Fede Sin", {"trained": None}),
        "driver": ("Gil Driver", {"roles": ["driver"], "trainings": [("rapid-responder", recent)]}),
        "inactive": ("Hugo Inactive", {"status": "inactive"}),
    }
    people = {
        key: ResponderFactory.create(
            network=network_a,
            name=name,
            phone=f"+1413555000{n}",
            **{"place": northampton, "trained": recent, **extra},
        )
        for n, (key, (name, extra)) in enumerate(kinds.items(), 1)
    }
    return network_a, northampton, people


@pytest.mark.django_db
def test_role_language_area_and_training_filter_returns_exactly_the_right_people(seed):
    network, northampton, people = seed
    f = PeopleFilter(
        roles=["rapid-responder"],
        languages=["es"],
        places=[northampton.pk],
        trained=["rapid-responder"],
        trained_within_days=365,
    )
    found = set(f.apply(network).values_list("pk", flat=True))
    assert found == {people["match_es"].pk, people["match_bilingual"].pk}


@pytest.mark.django_db
def test_training_still_valid_by_default(seed):
    network, _n, people = seed
    valid = set(
        PeopleFilter(trained=["rapid-responder"]).apply(network).values_list("pk", flat=True)
    )
    assert people["old_training"].pk not in valid  # 500 days ago, valid for 365
    assert people["no_training"].pk not in valid
    assert people["match_es"].pk in valid


@pytest.mark.django_db
def test_name_search_uses_tokens_and_another_network_sees_nobody(seed, network_b):
    network, _n, people = seed
    assert list(PeopleFilter(q="bilin").apply(network)) == [people["match_bilingual"]]
    assert PeopleFilter(q="ana").apply(network_b).count() == 0
    assert PeopleFilter().apply(network_b).count() == 0


@pytest.mark.django_db
def test_channel_counts_honour_opt_outs(seed):
    network, _n, people = seed
    everyone = PeopleFilter().apply(network)
    before = channel_counts(everyone)
    person_opt_out(person=people["match_es"], channel="sms")
    person_opt_out(person=Person.objects.get(pk=people["driver"].pk))
    after = channel_counts(PeopleFilter().apply(network))
    assert before["sms"] == 7 and after["sms"] == 5
    assert after["voice"] == 6


@pytest.mark.django_db
def test_dispatcher_saves_a_segment_and_reopens_it(seed, coordinator_a):
    network, northampton, people = seed
    client = client_for(coordinator_a)
    query = f"?roles=rapid-responder&languages=es&places={northampton.pk}&trained=rapid-responder&trained_within_days=365"
    page = client.get(reverse("people:list") + query).content.decode()
    assert "Ana Match" in page and "Beto Bilingüe" in page and "Carl English" not in page
    response = client.post(
        reverse("people:list") + query, {"name": "Northampton rapid responders (es)"}
    )
    segment = Segment.objects.get()
    assert response.status_code == 302
    assert segment.filters["places"] == [northampton.pk]
    reopened = client.get(reverse("people:segment", kwargs={"pk": segment.pk})).content.decode()
    assert "Ana Match" in reopened and "Dora Springfield" not in reopened
    assert "2 people" in reopened


@pytest.mark.django_db
def test_people_pages_need_the_capability_and_hide_other_networks(seed, volunteer_a, coordinator_b):
    _network, _n, people = seed
    assert client_for(volunteer_a).get(reverse("people:list")).status_code == 403
    other = client_for(coordinator_b)
    assert (
        other.get(reverse("people:detail", kwargs={"pk": people["match_es"].pk})).status_code == 404
    )
    assert "Ana Match" not in other.get(reverse("people:list")).content.decode()


@pytest.mark.django_db
def test_a_role_counts_only_with_the_valid_training_it_requires(seed):
    network, _n, people = seed
    qualified = set(
        PeopleFilter(roles=["rapid-responder"]).apply(network).values_list("pk", flat=True)
    )
    assert people["old_training"].pk not in qualified  # rapid responder, training expired
    assert people["no_training"].pk not in qualified
    assert people["match_es"].pk in qualified
    everyone = PeopleFilter(roles=["rapid-responder"], include_unqualified=True).apply(network)
    assert {people["old_training"].pk, people["no_training"].pk} <= set(
        everyone.values_list("pk", flat=True)
    )


def test_an_empty_filter_is_empty_and_defaults_are_not_stored():
    assert PeopleFilter().is_empty() and PeopleFilter().to_dict() == {}
    assert PeopleFilter(languages=["es"]).to_dict() == {"languages": ["es"]}
    assert not PeopleFilter(participated_min=2).is_empty()


@pytest.mark.django_db
def test_the_list_says_a_role_counts_only_people_with_its_valid_training(seed, coordinator_a):
    """A coordinator who imported 800 "Rapid responder" rows saw the role's count barely
    move: the page must say why (people without the role's valid training are left out)."""
    client = client_for(coordinator_a)
    hint = "only people whose training for it is still valid"
    assert hint in client.get(reverse("people:list") + "?roles=rapid-responder").content.decode()
    assert hint not in client.get(reverse("people:list") + "?languages=es").content.decode()
