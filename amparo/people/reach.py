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

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import BooleanField, Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.db.models.sql.subqueries import UpdateQuery
from django.utils import timezone

from amparo.accounts.audit import audit_record_many
from amparo.accounts.models import AuditEvent
from amparo.channels.models import Delivery
from amparo.lib.crypto.blind import phone_index
from amparo.lib.phones import normalize_phone

from .counts import people_changed
from .models import Person, PersonPhone

REACH_FIELDS = ("reach_sms", "reach_voice", "reach_email")


def reach_truth() -> dict[str, Any]:
    """The flags computed from the rows they summarise (per person, as annotations):
    what :func:`reach_refresh` writes, and what a test compares the columns with."""
    live = PersonPhone.objects.filter(person=OuterRef("pk"), dead_at__isnull=True)
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
        # reach_truth's rule itself: the email_index that save() will write is not null
        "email": Person._meta.get_field("email_index").pre_save(person, True) is not None,
    }
    for channel, have in held.items():
        reachable = have and person.opted_out_at is None
        setattr(person, f"reach_{channel}", reachable and channel not in person.opted_out_of())


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


def reach_numbers(people: Iterable[Person | int], channel: str) -> dict[int, str]:
    """Person id → the number to reach them on ``channel`` ("sms" or "voice") for each
    of these people whose flag says they can be (:meth:`Person.address_on`)."""
    ids = [p if isinstance(p, int) else p.pk for p in people]
    reachable = Person.objects.filter(pk__in=ids, **{f"reach_{channel}": True})
    numbers = {p.pk: p.address_on(channel) for p in reachable.prefetch_related("phones")}
    return {pk: number for pk, number in numbers.items() if number}


def phone_unreachable(*, delivery: Delivery, channel: str, **_: Any) -> None:
    """The provider refused a number for good on ``channel`` ("sms", "voice";
    channels.base.address_unreachable): every phone of the network with that number
    takes it no more, so audiences and counts stop relying on it."""
    if channel not in ("sms", "voice"):
        return
    try:
        index = phone_index(normalize_phone(delivery.to_address or ""))
    except ValidationError:
        return
    phones = PersonPhone.objects.filter(person__network_id=delivery.network_id, number_index=index)
    ids = list(phones.filter(**{f"{channel}_ok": True}).values_list("person_id", flat=True))
    if not ids:
        return
    with transaction.atomic():  # all of it or none (the sender logs a failure)
        phones.update(**{f"{channel}_ok": False}, unreachable_at=timezone.now())
        reach_refresh(ids)
        people_changed(network_id=delivery.network_id, person_ids=ids)
        audit_record_many(
            action=AuditEvent.Action.UPDATE,
            changes=[(p, ["phones"]) for p in Person.objects.filter(pk__in=ids)],
            note=f"provider refused {channel}",
        )


def phones_restore(phones: QuerySet[PersonPhone]) -> bool:
    """Undo :func:`phone_unreachable` on these phones: the person texted START from
    the number, or a coordinator entered it again. True if one was marked; the caller
    derives the flags (:func:`reach_refresh`) and records the change."""
    marked = phones.filter(Q(sms_ok=False) | Q(voice_ok=False))
    return marked.update(sms_ok=True, voice_ok=True, unreachable_at=None) > 0


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
