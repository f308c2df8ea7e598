"""Reachability kept on the person (people/reach.py): after every kind of write that
changes a phone, an email or an opt-out, the columns equal what the phones, the email
and the opt-outs say (computed with subqueries, the way counts used to be made)."""

from __future__ import annotations

import pytest
from django.db import transaction

from amparo.channels.services import inbound_receive
from amparo.people.bulk import people_bulk_prepare, people_bulk_write
from amparo.people.models import Person
from amparo.people.reach import REACH_FIELDS, reach_truth
from amparo.people.services import PersonData, person_opt_out, person_upsert

NUMBER = "+14135550177"


def _columns_and_truth(network) -> tuple[dict, dict]:
    people = Person.objects.filter(network=network).order_by("pk")
    columns = {row[0]: row[1:] for row in people.values_list("pk", *REACH_FIELDS)}
    truth = people.annotate(**{f"t_{k}": v for k, v in reach_truth().items()})
    derived = {
        row[0]: row[1:] for row in truth.values_list("pk", *(f"t_{k}" for k in REACH_FIELDS))
    }
    return columns, derived


def _flags(person: Person) -> tuple[bool, ...]:
    columns, truth = _columns_and_truth(person.network)
    assert columns == truth  # every person of the network, not just this one
    return columns[person.pk]


@pytest.mark.django_db
def test_every_write_to_phones_email_or_opt_outs_keeps_the_flags(network_a) -> None:
    nobody, _ = person_upsert(network=network_a, data=PersonData(name="Sin datos"))
    assert _flags(nobody) == (False, False, False)
    lola, _ = person_upsert(network=network_a, data=PersonData(name="Lola", phones=[NUMBER]))
    assert _flags(lola) == (True, True, False)
    # an update that adds an email (form, sign-up of someone already there)
    lola, outcome = person_upsert(
        network=network_a, data=PersonData(name="Lola", phones=[NUMBER], email="l@x.example")
    )
    assert outcome == "updated" and _flags(lola) == (True, True, True)
    lola.save()  # a later full save keeps the flags it was handed back
    assert _flags(lola) == (True, True, True)
    person_opt_out(person=lola, channel="sms")
    assert _flags(lola) == (False, True, True)
    # STOP by text: out of everything; START takes it back
    inbound_receive(network=network_a, channel="sandbox", from_address=NUMBER, body="STOP")
    assert _flags(lola) == (False, False, False)
    inbound_receive(network=network_a, channel="sandbox", from_address=NUMBER, body="start")
    assert _flags(lola) == (False, True, True)  # the texts' own opt-out stays


@pytest.mark.django_db
def test_the_bulk_write_of_an_import_keeps_the_flags(network_a) -> None:
    there, _ = person_upsert(network=network_a, data=PersonData(name="Ya", email="y@x.example"))
    assert _flags(there) == (False, False, True)
    items = [
        (PersonData(name="Nueva", phones=["+14135550178"]), None),
        (PersonData(name="Correo", email="c@x.example"), None),
        (PersonData(name="", phones=["+14135550179"]), there.pk),  # a phone for someone there
    ]
    plan = people_bulk_prepare(network=network_a, items=items, source="import")
    with transaction.atomic():
        outcomes = people_bulk_write(plan=plan)
    new, mail = (Person.objects.get(pk=pk) for pk, _o in outcomes[:2])
    assert _flags(new) == (True, True, False) and _flags(mail) == (False, False, True)
    assert _flags(there) == (True, True, True)


def test_people_migrations_use_no_live_amparo_code() -> None:
    """A data migration runs against historical models: it must not import code that
    keeps changing (only the crypto fields of amparo.lib, which the models name)."""
    import ast
    from pathlib import Path

    import amparo.people.migrations as migrations

    live = []
    for path in sorted(Path(migrations.__file__).parent.glob("0*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            live += [(path.name, n) for n in names if n.startswith("amparo.")]
    assert [(f, n) for f, n in live if not n.startswith("amparo.lib.")] == []


@pytest.mark.django_db
def test_a_refused_number_comes_back_with_start_or_by_hand(network_a, coordinator_a) -> None:
    """phone_unreachable marks the number (and when); START from it, the person's page's
    button or the number entered again on the form make it take texts and calls again."""
    from django.urls import reverse

    from amparo.channels.base import unreachable_tell
    from amparo.channels.outbox import outbox_write
    from amparo.conftest import client_for

    def refuse() -> None:
        delivery = outbox_write(
            network=network_a, channel="sandbox", to=NUMBER, body="x", purpose="message"
        )
        unreachable_tell(delivery, "sms")
        unreachable_tell(delivery, "voice")
        assert _flags(lola)[:2] == (False, False)

    lola, _ = person_upsert(network=network_a, data=PersonData(name="Lola", phones=[NUMBER]))
    refuse()
    page = client_for(coordinator_a).get(reverse("people:detail", kwargs={"pk": lola.pk}))
    assert "Marked unreachable on " in page.content.decode()
    inbound_receive(network=network_a, channel="sandbox", from_address=NUMBER, body="start")
    assert _flags(lola) == (True, True, False)
    assert lola.phones.get().unreachable_at is None
    refuse()
    client = client_for(coordinator_a)
    url = reverse("people:detail", kwargs={"pk": lola.pk})
    client.post(url, {"phone": lola.phones.get().pk})
    assert _flags(lola) == (True, True, False)
    assert "Marked unreachable" not in client.get(url).content.decode()
    refuse()
    form = {"name": "Lola", "phone": NUMBER, "language": "es", "email": ""}
    assert client.post(reverse("people:create"), form).status_code == 302
    assert _flags(lola) == (True, True, False)
    refuse()  # an import or a sign-up naming the number does not vouch for it
    person_upsert(network=network_a, data=PersonData(name="", phones=[NUMBER]), source="import")
    assert _flags(lola)[:2] == (False, False)


@pytest.mark.django_db
def test_reach_new_and_the_sql_derivation_agree(network_a) -> None:
    """reach_new (before the first save) says what reach_truth (SQL) says after it, for
    every mix of email (none, one to normalise), phones and opt-outs."""
    from django.utils import timezone

    from amparo.people.models import PersonPhone
    from amparo.people.reach import reach_new

    cases: list[Person] = []
    for email in ("", "A{}@X.example "):
        for phones in (0, 1):
            for opted_out_at, channels in ((None, ""), (None, " sms email "), (timezone.now(), "")):
                person = Person(network=network_a, name="P", opted_out_at=opted_out_at)
                person.email = email.format(len(cases))
                person.opted_out_channels = channels
                reach_new(person, phones=phones)
                person.save()
                if phones:
                    PersonPhone.objects.create(person=person, number=f"+1413555{len(cases):04d}")
                cases.append(person)
    columns, truth = _columns_and_truth(network_a)
    assert columns == truth and len(truth) == 12
    assert {flags for flags in truth.values()} >= {(True, True, True), (False, False, False)}
