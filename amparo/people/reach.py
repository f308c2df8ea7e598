"""Reachability kept on the person: ``reach_sms``, ``reach_voice``, ``reach_email``.

Each says whether a channel may reach the person right now as far as their own data
goes: a live phone that takes texts (calls), an email — and not opted out of that
channel nor of everything. Derived here, in one place (:func:`reach_refresh`, one
UPDATE from the phones and opt-outs), and called by every write that changes a phone,
an email or an opt-out (person_upsert, the bulk write of an import, opt-out and START),
so counts, pages and planning read three plain columns instead of subqueries per row.

Nothing that depends on time is kept here: quiet hours and trainings stay computed
from the clock when they are read.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import BooleanField, Case, Exists, OuterRef, Q, Value, When

from .models import Person, PersonPhone

REACH_FIELDS = ("reach_sms", "reach_voice", "reach_email")


def reach_truth(phones: Any = PersonPhone) -> dict[str, Any]:
    """The flags computed from the rows they summarise (per person, as annotations):
    what :func:`reach_refresh` writes (and the migration that added them: ``phones``,
    its historical model), and what a test compares the columns with."""
    live = phones.objects.filter(person=OuterRef("pk"), dead_at__isnull=True)
    have: dict[str, Any] = {
        "sms": Exists(live.filter(sms_ok=True)),
        "voice": Exists(live.filter(voice_ok=True)),
        "email": Q(email_index__isnull=False),
    }
    return {
        f"reach_{channel}": Case(
            When(
                Q(opted_out_at__isnull=True)
                & ~Q(opted_out_channels__contains=f" {channel} ")
                & held,
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        )
        for channel, held in have.items()
    }


def reach_new(person: Person, *, phones: int) -> None:
    """The flags of a person about to be created with ``phones`` new phones (live, with
    PersonPhone's defaults): what :func:`reach_truth` will say, set before the first
    save instead of an UPDATE after it (test_reach compares the two)."""
    default = {f.name: f.default for f in PersonPhone._meta.concrete_fields}
    held = {
        "sms": phones > 0 and default["sms_ok"] is True,
        "voice": phones > 0 and default["voice_ok"] is True,
        "email": person.email not in (None, ""),  # email_index is set from it
    }
    for channel, have in held.items():
        reachable = have and person.opted_out_at is None
        setattr(person, f"reach_{channel}", reachable and channel not in person.opted_out_of())


def reach_refresh(person_ids: Iterable[int]) -> None:
    """Derive the reachability flags of these people from their phones, email and
    opt-outs (one UPDATE per 500 people). Call after any write to those."""
    ids = sorted({int(pk) for pk in person_ids})
    truth = reach_truth()
    for start in range(0, len(ids), 500):
        Person.objects.filter(pk__in=ids[start : start + 500]).update(**truth)
