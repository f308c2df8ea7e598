"""Hearings: adding one (and asking the accompaniers by text), signing up, recording the
outcome and the next date. Every text goes through the outbox in its reader's language
and names the hearing by its time, court and four-digit code, never the person."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, User
from amparo.cases.models import Case
from amparo.channels.outbox import outbox_write
from amparo.channels.registry import sms_channel
from amparo.lib.phones import normalize_phone
from amparo.people.filters import may_be_alerted_as
from amparo.people.models import Person
from amparo.people.texting import person_text

from .models import Accompaniment, Hearing, Outcome

ROLE = "court-accompanier"
A = Accompaniment.Status
#: the outcome's number in a text reply ("RESULTADO 4821 1 15/1") is its place here
OUTCOMES = list(Outcome)


def hearing_link(hearing: Hearing) -> str:
    return settings.BASE_URL + reverse("hearings:hearing", kwargs={"pk": hearing.pk})


def hearing_when(hearing: Hearing, language: str) -> str:
    """'Tue 8 Dec 09:00' in the network's zone and ``language``."""
    local = timezone.localtime(hearing.starts_at, hearing.network.zone())
    with translation.override(language):
        return f"{formats.date_format(local, 'D j M')} {local:%H:%M}"


INVITATION = gettext_lazy(
    "%(network)s: a family needs company at court %(line)s. Reply CORTE %(code)s to go. %(link)s"
)
GOING = gettext_lazy("You are going with the family to court %(line)s. We will remind you.")
REMINDER = gettext_lazy("%(network)s: reminder, court accompaniment %(line)s (code %(code)s).")
FAMILY_REMINDER = gettext_lazy(
    "%(network)s: reminder, your hearing is %(line)s. We will be with you."
)
ASK_OUTCOME = gettext_lazy(
    "How did the hearing %(code)s go? Reply RESULTADO %(code)s and a number: "
    "%(options)s. After 1 add the new date (M/D H:MM). Or: %(link)s"
)

ESCALATION = gettext_lazy(
    "Amparo: hearing %(code)s of case %(case)s on %(line)s has %(count)s of %(wanted)s "
    "accompaniers. Please find more. %(link)s"
)


def hearing_text(message: Any, hearing: Hearing, language: str, **more: Any) -> str:
    """``message`` in ``language`` with the hearing's time, court, code and link."""
    with translation.override(language):
        return str(message) % {
            "network": hearing.network.name[:30],
            "line": f"{hearing_when(hearing, language)}, {(hearing.court or '')[:60]}",
            "code": hearing.code,
            "link": hearing_link(hearing),
            "options": ", ".join(f"{n} {label}" for n, label in enumerate(Outcome.labels, 1)),
            "case": hearing.case_id,
            "wanted": hearing.wanted,
            **more,
        }


def going(hearing: Hearing) -> list[Person]:
    return [
        a.person
        for a in hearing.accompaniments.filter(status=A.GOING)
        .select_related("person__network")
        .order_by("id")
    ]


def _code(case: Case) -> str:
    recent = set(
        Hearing.objects.filter(
            network=case.network, starts_at__gt=timezone.now() - timedelta(days=30)
        ).values_list("code", flat=True)
    )
    while True:
        code = str(1000 + secrets.randbelow(9000))
        if code not in recent:
            return code


def _audit(obj: Hearing | Accompaniment, actor: User | None, fields: list[str]) -> None:
    hearing = obj if isinstance(obj, Hearing) else obj.hearing
    audit_record(
        action=AuditEvent.Action.UPDATE,
        actor=actor,
        network=hearing.network,
        obj=obj,
        fields=fields,
    )


@transaction.atomic
def hearing_add(
    *, case: Case, starts_at: datetime, actor: User | None, family_phone: str = "", **fields: Any
) -> Hearing:
    """Put a hearing on ``case`` and text the accompaniers who may go."""
    if starts_at <= timezone.now():
        raise ValidationError({"starts_at": _("The hearing must be in the future.")})
    hearing = Hearing.objects.create(
        network=case.network,
        case=case,
        code=_code(case),
        starts_at=starts_at,
        family_phone=normalize_phone(family_phone) if family_phone else "",
        created_by=actor,
        **fields,
    )
    _audit(hearing, actor, ["created"])
    hearing_ask(hearing)
    return hearing


def hearing_ask(hearing: Hearing) -> int:
    """Text each accompanier not yet asked (role and training valid on the day)."""
    day = timezone.localtime(hearing.starts_at, hearing.network.zone()).date()
    asked = set(hearing.accompaniments.values_list("person_id", flat=True))
    sent = 0
    for person in may_be_alerted_as(hearing.network, [ROLE], on=day).exclude(pk__in=asked):
        Accompaniment.objects.create(hearing=hearing, person=person, via="text")
        sent += person_text(
            person, hearing_text(INVITATION, hearing, person.language), "hearing-ask"
        )
    return sent


@transaction.atomic
def accompany(
    *, hearing: Hearing, person: Person, go: bool, via: str, actor: User | None = None
) -> Accompaniment:
    """``person`` goes (or no longer goes) with the family to ``hearing``."""
    if person.network_id != hearing.network_id or person.status == Person.Status.REMOVED:
        raise ValidationError(_("This person is not in this network."))
    if hearing.starts_at <= timezone.now():
        raise ValidationError(_("This hearing has already started."))
    row, _created = Accompaniment.objects.get_or_create(hearing=hearing, person=person)
    row.status, row.via, row.updated_at = (A.GOING if go else A.DECLINED), via, timezone.now()
    row.save(update_fields=["status", "via", "updated_at"])
    _audit(row, actor, ["status"])
    return row


@transaction.atomic
def hearing_outcome(
    *,
    hearing: Hearing,
    outcome: str,
    next_at: datetime | None,
    person: Person | None,
    actor: User | None = None,
) -> Hearing:
    """Record what happened; a new date makes the next hearing (asked like the first)."""
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Choose one of the options.")})
    if hearing.starts_at > timezone.now():
        raise ValidationError(_("The hearing has not happened yet."))
    if outcome == Outcome.CONTINUED and next_at is None:
        raise ValidationError({"next_date": _("Give the new date.")})
    # two answers at once (a text, the web): the second sees the first's next hearing
    list(Hearing.objects.select_for_update().filter(pk=hearing.pk).values_list("pk"))
    hearing.refresh_from_db(fields=["next_hearing"])
    hearing.outcome, hearing.outcome_at, hearing.outcome_by = outcome, timezone.now(), person
    if next_at is not None and hearing.next_hearing_id is None:
        same = ("kind", "court", "judge", "wanted", "family_phone", "language")
        hearing.next_hearing = hearing_add(
            case=hearing.case,
            starts_at=next_at,
            actor=actor,
            **{field: getattr(hearing, field) for field in same},
        )
    hearing.save(update_fields=["outcome", "outcome_at", "outcome_by", "next_hearing"])
    _audit(hearing, actor, ["outcome", "next_hearing"])
    return hearing


def family_text(hearing: Hearing, body: str, purpose: str) -> bool:
    """Text the family's phone (not a person of the network) through the outbox."""
    channel = sms_channel()
    if not hearing.family_phone or not channel:
        return False
    outbox_write(
        network=hearing.network,
        channel=channel,
        to=hearing.family_phone,
        body=body,
        purpose=purpose,
        language=hearing.language,
    )
    return True
