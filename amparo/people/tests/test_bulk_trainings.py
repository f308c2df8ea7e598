"""Two new people of one chunk with the same training each get it: a new person has no
trainings yet (they once shared the set of "the person without an id")."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import transaction

from amparo.people.bulk import people_bulk_prepare, people_bulk_write
from amparo.people.models import PersonTraining, TrainingType
from amparo.people.services import PersonData


@pytest.mark.django_db
def test_two_new_people_of_a_chunk_each_get_the_same_training(network_a) -> None:
    TrainingType.objects.get_or_create(network=network_a, slug="kyr", defaults={"name": {}})
    when = date(2026, 1, 5)
    items: list[tuple[PersonData, int | None]] = [
        (PersonData(name="A", phones=["+14135550101"], trainings=[("kyr", when)]), None),
        (PersonData(name="B", phones=["+14135550102"], trainings=[("kyr", when)]), None),
    ]
    plan = people_bulk_prepare(network=network_a, items=items, source="import")
    with transaction.atomic():
        people_bulk_write(plan=plan)
    assert PersonTraining.objects.filter(person__network=network_a).count() == 2
