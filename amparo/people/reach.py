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
from functools import cache
from typing import Any, cast

from django.db import connection
from django.db.models import BooleanField, Case, Exists, OuterRef, Q, Value, When
from django.db.models.sql.subqueries import UpdateQuery

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


def reach_refresh(person_ids: Iterable[int]) -> None:
    """Derive the reachability flags of these people from their phones, email and
    opt-outs (one UPDATE per 500 people). Call after any write to those."""
    ids = sorted({int(pk) for pk in person_ids})
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        compiled = _compiled(connection.alias)
        if compiled is None:  # pragma: no cover - a form of UPDATE not foreseen
            Person.objects.filter(pk__in=part).update(**reach_truth())
            continue
        text, params = compiled
        marks = ", ".join(["%s"] * len(part))
        with connection.cursor() as cursor:
            cursor.execute(text[: -len(_ONE)] + f"IN ({marks})", [*params, *part])


_SENTINEL = -0x5EA5
_ONE = "IN (%s)"


@cache
def _compiled(alias: str) -> tuple[str, list[Any]] | None:
    """The UPDATE of :func:`reach_refresh` compiled once (building it is most of its
    time, and it runs inside an import chunk's write lock), but its ids: the SQL up to
    ``IN (%s)`` and the parameters before the ids."""
    query = cast(UpdateQuery, Person.objects.filter(pk__in=[_SENTINEL]).query.chain(UpdateQuery))
    query.add_update_values(reach_truth())
    text, params = query.get_compiler(alias).as_sql()
    if not text.endswith(_ONE) or list(params[-1:]) != [_SENTINEL]:
        return None
    return text, list(params[:-1])
