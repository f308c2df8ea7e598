"""The public sign-up's statements, pinned so that they cannot creep back (issue 16)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from amparo.people import antiabuse, counts
from amparo.people.models import (
    PeopleVersion,
    Person,
    RateBucket,
    SignupConfirmation,
    SpentChallenge,
    TrainingSession,
    TrainingSignup,
    TrainingType,
)
from amparo.people.services import place_get_or_create
from amparo.people.signup import CONSENT_VERSION

from .test_signup import _challenge, _post


def _statements(captured):
    """The data statements (transaction control and locks left out: SQLite shows its
    BEGIN and COMMIT to Django, PostgreSQL does not; the audit chain's lock is
    PostgreSQL's alone)."""
    control = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "SELECT PG_ADVISORY")
    return [q["sql"] for q in captured if not q["sql"].lstrip().upper().startswith(control)]


@pytest.mark.django_db(transaction=True)
def test_a_sign_up_takes_few_statements(network_a):
    """Pinned so they cannot creep back (issue 16: 56 statements per sign-up, most of
    them inside SQLite's one write lock, made the form's p95 several times the aim). A
    rate-limit hit is one upsert, the challenge one insert, and nothing just written
    by this sign-up is read back; the form's own reads come before the write lock."""
    town = place_get_or_create(
        network=network_a, name="Holyoke", latitude=42.2043, longitude=-72.6162
    )
    orientation = TrainingSession.objects.create(
        network=network_a,
        training_type=TrainingType.objects.get(network=network_a, slug="orientation"),
        starts_at=timezone.now() + timedelta(days=5),
        language="es",
        capacity=20,
    )
    client = Client()
    challenge = _challenge(client, network_a)
    role = "rapid-responder"
    with CaptureQueriesContext(connection) as queries:
        response = _post(
            client,
            network_a,
            challenge=challenge,
            place=town.pk,
            session=orientation.pk,
            roles=role,
        )
    assert response.status_code == 302
    statements = _statements(queries.captured_queries)
    # the people versions are one upsert, not two statements; a new person's
    # reachability flags are saved with them (no UPDATE and read-back: people/reach.py)
    assert len(statements) == 26, "\n".join(statements)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 10, "\n".join(reads)
    person = Person.objects.get(network=network_a)
    assert person.consent_version == CONSENT_VERSION and person.consent_at is not None
    assert list(person.roles.values_list("slug", flat=True)) == [role]
    assert TrainingSignup.objects.filter(session=orientation, person=person).exists()
    assert SignupConfirmation.objects.filter(person=person, channel="sms").count() == 1


def test_antiabuse_sql_names_the_models_tables():
    """The two upserts are written out in SQL (one statement each): they name the
    models' own tables."""
    assert f'INTO "{RateBucket._meta.db_table}"' in antiabuse._COUNT_SQL
    assert f'INTO "{SpentChallenge._meta.db_table}"' in antiabuse._SPEND_SQL


def test_people_changed_sql_names_the_models_table():
    """people_changed's upsert is written out in SQL (one statement): it names the
    model's own table."""
    assert f'INTO "{PeopleVersion._meta.db_table}"' in counts._VERSION_SQL
