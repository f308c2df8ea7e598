"""Writes to cases: open (one or several from an incident), the team, states, transfers,
counsel reached, edits. Each write is audited (field names, never values) and leaves a
line on the case's timeline. Nothing here ever puts an A-number or a name in a message,
a log line or a URL: texts name the case by its number and link to its page."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts import needtoknow
from amparo.accounts.access import Refused
from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User
from amparo.alerts.models import Facility
from amparo.hotline.scripts import a_number_normalize
from amparo.lib.crypto import name_search_filter
from amparo.lib.crypto.blind import name_parts
from amparo.people.models import Person
from amparo.reports.models import Incident, IncidentStatus

from .models import (
    ABUSES,
    SCREENING,
    Case,
    CaseEvent,
    CaseHandoff,
    CaseKind,
    CaseState,
    CaseTeamMember,
    CaseTeamRole,
    CaseTransfer,
)

log = logging.getLogger(__name__)

MAX_NAME = 120
#: at most this many cases opened at once from one incident
MAX_BATCH = 30


@dataclass
class CaseInput:
    given_names: str
    family_names: str
    kind: str = CaseKind.DETENTION
    a_number: str = ""
    country_of_birth: str = ""
    facility: Facility | None = None
    detained_at: datetime | None = None
    screening: dict[str, bool] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    language: str = "es"
    notes: str = ""


def _clean_name(text: str) -> str:
    return " ".join((text or "").split())[:MAX_NAME]


def a_number_clean(text: str) -> str:
    """The A-number as the locator wants it (9 digits), "" when none was given; a
    translated ValidationError when it is not one."""
    if not (text or "").strip():
        return ""
    number = a_number_normalize(text)
    if number is None or any(c.isalpha() and c not in "aA" for c in text):
        raise ValidationError(_("An A-number has at most 9 digits."))
    return number


def state_of(network: Network, slug: str) -> CaseState:
    return CaseState.objects.get(network=network, slug=slug)


def event_add(
    case: Case, kind: str, actor: Any, *, note: str = "", state: Any = None, at: Any = None
) -> CaseEvent:
    """A line on the case's timeline, at ``at`` (when it happened) or now."""
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        note=note,
        state=state,
        at=at or timezone.now(),
    )


def _audit(case: Case, action: str, actor: Any, fields: Iterable[str], note: str = "") -> None:
    audit_record(
        action=action, actor=actor, network=case.network, obj=case, fields=fields, note=note
    )


class CaseRefused(Refused):
    message = _("This case cannot be changed that way.")


# --- opening ------------------------------------------------------------------------------


@transaction.atomic
def case_open(
    *,
    network: Network,
    actor: User | Any,
    data: CaseInput,
    incident: Incident | None = None,
    intake: Any = None,
    case_manager: User | None = None,
) -> Case:
    """Open one case: a detention with a time of detention starts "detained" (the clock runs),
    other detentions "reported", the rest "open". ``case_manager`` joins the team."""
    given, family = _clean_name(data.given_names), _clean_name(data.family_names)
    if not given and not family:
        raise ValidationError(_("Write the name exactly as on the person's documents."))
    if data.kind not in CaseKind.values:
        raise ValidationError(_("Choose one of the options."))
    if incident is not None and incident.network_id != network.pk:
        raise ValidationError(_("Choose one of the options."))
    if data.facility is not None and data.facility.network_id != network.pk:
        raise ValidationError(_("Choose one of the options."))
    if data.detained_at is not None and data.detained_at > timezone.now():
        raise ValidationError(_("The time of detention cannot be in the future."))
    if data.kind == CaseKind.DETENTION:
        slug = "detained" if data.detained_at else "reported"
    else:
        slug = "open"
    case = Case.objects.create(
        network=network,
        kind=data.kind,
        state=state_of(network, slug),
        incident=incident,
        intake=intake,
        given_names=given,
        family_names=family,
        a_number=a_number_clean(data.a_number),
        country_of_birth=_clean_name(data.country_of_birth),
        facility=data.facility,
        detained_at=data.detained_at,
        screening={k: True for k in SCREENING if data.screening.get(k)},
        details=_clean_details(data.details),
        notes=(data.notes or "").strip()[:4000],
        language=data.language if data.language in ("en", "es") else "es",
        opened_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    event_add(case, CaseEvent.Kind.OPENED, actor, state=case.state)
    _audit(case, AuditEvent.Action.CREATE, actor, ["kind", "state", "incident"])
    if case_manager is not None:
        case_team_add(
            case=case,
            user=case_manager,
            role=CaseTeamRole.objects.get(network=network, slug="case-manager"),
            actor=actor,
        )
    return case


def _clean_details(details: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("employer", "what", "when", "amount_owed"):
        value = " ".join(str(details.get(key) or "").split())[:500]
        if value:
            out[key] = value
    abuses = [a for a in details.get("abuses") or [] if a in ABUSES]
    if abuses:
        out["abuses"] = abuses
    return out


def parse_names(text: str, *, strict: bool = False) -> list[tuple[str, str]]:
    """One person per line, "given names / family names" or "given names, family
    names". A line of two words without a separator is "given family"; a longer one
    puts its last word as the family name, or, ``strict`` (a name typed by a person),
    is refused with a translated ValidationError naming the line, because "Rosa Elena
    Garcia Cruz" cannot be split by guessing."""
    people: list[tuple[str, str]] = []
    unclear: list[str] = []
    for raw in (text or "").splitlines():
        line = " ".join(raw.split())
        if not line:
            continue
        for separator in ("/", ",", ";"):
            if separator in line:
                given, _sep, family = line.partition(separator)
                break
        else:
            words = line.split(" ")
            if strict and len(words) > 2:
                unclear.append(line)
                continue
            given, family = " ".join(words[:-1]), words[-1]
        people.append((_clean_name(given), _clean_name(family)))
    if unclear:
        raise ValidationError(
            {
                "names": [
                    _(
                        'Separate the given names from the family names with "/": '
                        "%(line)s (for example: Juan Carlos / Pérez López)."
                    )
                    % {"line": line[:MAX_NAME]}
                    for line in unclear
                ]
            }
        )
    return people


def incident_copies(incident: Incident, names: list[str]) -> set[int]:
    """Which of ``names`` (indexes) already have an open case from ``incident`` or came earlier
    in the list: every word matches through the keyed-hash name tokens (no clear name)."""
    copies: set[int] = set()
    seen: set[tuple[str, ...]] = set()
    for i, name in enumerate(names):
        parts = tuple(name_parts(name))
        if not parts:
            continue
        if parts in seen:
            copies.add(i)
            continue
        seen.add(parts)
        if (
            Case.objects.filter(network=incident.network, incident=incident, closed_at__isnull=True)
            .filter(name_search_filter("name_tokens", " ".join(parts)))
            .exists()
        ):
            copies.add(i)
    return copies


#: an incident whose detained workers may have cases: confirmed (and after)
OPENS_CASES = (IncidentStatus.CONFIRMED, IncidentStatus.RESPONDING, IncidentStatus.CLOSED)


def _from_intake(intake: Any, detained_at: datetime | None, facility: Any) -> CaseInput:
    """What a hotline intake about a detention already asked: the name as on documents,
    the A-number and the country of birth (until now, that answer went nowhere)."""
    answers = intake.answers or {}
    given, family = (parse_names(str(answers.get("detainee_name") or "")) or [("", "")])[0]
    return CaseInput(
        given_names=given,
        family_names=family,
        a_number=str(answers.get("a_number") or ""),
        country_of_birth=str(answers.get("country_of_birth") or ""),
        detained_at=detained_at,
        facility=facility,
        language=intake.language,
    )


@transaction.atomic
def cases_open_for_incident(
    *,
    incident: Incident,
    actor: User | Any,
    people: list[tuple[str, str]],
    intakes: Iterable[Any] = (),
    case_manager: User | None = None,
    detained_at: datetime | None = None,
    facility: Facility | None = None,
) -> list[Case]:
    """A case per detained worker of a confirmed incident, in one step: the names typed and
    the hotline intakes chosen (each case takes its intake's A-number and birth country)."""
    if incident.status not in OPENS_CASES:
        raise CaseRefused(_("Cases are opened from a confirmed incident."))
    inputs = [
        (
            CaseInput(
                given_names=given, family_names=family, detained_at=detained_at, facility=facility
            ),
            None,
        )
        for given, family in people
    ]
    inputs += [(_from_intake(i, detained_at, facility), i) for i in intakes]
    if not inputs:
        raise ValidationError(_("Write at least one name."))
    if len(inputs) > MAX_BATCH:
        raise ValidationError(_("At most %(n)s people at once.") % {"n": MAX_BATCH})
    return [
        case_open(
            network=incident.network,
            actor=actor,
            incident=incident,
            intake=intake,
            case_manager=case_manager,
            data=data,
        )
        for data, intake in inputs
    ]


def _who(user: User) -> str:
    """A team member as the timeline names them (sealed with the case's key)."""
    return user.display_name or user.email


# --- the team -----------------------------------------------------------------------------


@transaction.atomic
def case_team_add(
    *, case: Case, user: User, role: CaseTeamRole, actor: User | Any
) -> CaseTeamMember:
    """Put ``user`` on the team: a need-to-know assignment lets them open the case."""
    if role.network_id != case.network_id:
        raise ValidationError(_("Choose one of the options."))
    member, created = CaseTeamMember.objects.get_or_create(
        case=case, user=user, role=role, defaults={"added_by": actor}
    )
    if created:
        if not needtoknow.is_assigned(user, case):
            needtoknow.assign(obj=case, user=user, granted_by=actor)
        event_add(case, CaseEvent.Kind.TEAM, actor, note=f"+ {_who(user)}")
        _audit(case, AuditEvent.Action.UPDATE, actor, ["team"], note=f"team+ user={user.pk}")
    return member


@transaction.atomic
def case_team_remove(*, member: CaseTeamMember, actor: User | Any) -> None:
    case, user = member.case, member.user
    member.delete()
    if not CaseTeamMember.objects.filter(case=case, user=user).exists():
        needtoknow.unassign(obj=case, user=user, by=actor)
    event_add(case, CaseEvent.Kind.TEAM, actor, note=f"− {_who(user)}")
    _audit(case, AuditEvent.Action.UPDATE, actor, ["team"], note=f"team- user={user.pk}")


def team_people(case: Case) -> list[Person]:
    users = CaseTeamMember.objects.filter(case=case).values("user")
    return list(
        Person.objects.filter(network=case.network, user__in=users, opted_out_at__isnull=True)
        .active()
        .order_by("pk")
    )


def case_link(case: Case) -> str:
    return settings.BASE_URL + reverse("cases:case", kwargs={"pk": case.pk})


# --- states, counsel, transfers, edits -----------------------------------------------------


@transaction.atomic
def case_state_set(*, case: Case, state: CaseState, actor: User | Any, note: str = "") -> Case:
    if state.network_id != case.network_id:
        raise ValidationError(_("Choose one of the options."))
    if case.closed_at is not None and not state.closes:
        raise CaseRefused(_("This case is closed."))
    now = timezone.now()
    case.state = state
    fields = ["state"]
    if state.counsel and case.counsel_reached_at is None:
        case.counsel_reached_at = now
        fields.append("counsel_reached_at")
    if state.closes and case.closed_at is None:
        case.closed_at = now
        fields.append("closed_at")
    case.save(update_fields=fields)
    event_add(case, CaseEvent.Kind.STATE, actor, state=state, note=note.strip()[:1000])
    _audit(case, AuditEvent.Action.UPDATE, actor, fields)
    return case


@transaction.atomic
def case_counsel_reached(
    *, case: Case, actor: User | Any, at: datetime | None = None, note: str = ""
) -> Case:
    """Counsel has reached the person: the 72-hour clock stops; a case still
    "reported" or "detained" moves on to "counsel reached"."""
    if case.closed_at is not None:
        raise CaseRefused(_("This case is closed."))
    at = at or timezone.now()
    if at > timezone.now():
        raise ValidationError(_("Choose a time that has passed."))
    case.counsel_reached_at = at
    fields = ["counsel_reached_at"]
    if case.state.slug in ("reported", "detained", "transferred"):
        case.state = state_of(case.network, "counsel")
        fields.append("state")
    case.save(update_fields=fields)
    # on the timeline at the time counsel spoke with the person, not when it was typed
    event_add(
        case, CaseEvent.Kind.COUNSEL, actor, note=note.strip()[:1000], state=case.state, at=at
    )
    _audit(case, AuditEvent.Action.UPDATE, actor, fields)
    return case


@transaction.atomic
def case_transfer(
    *, case: Case, to_facility: Facility, moved_at: datetime, actor: User | Any, note: str = ""
) -> Any:
    """The person was moved: the transfer is kept and the case names the new facility."""
    if case.closed_at is not None:
        raise CaseRefused(_("This case is closed."))
    if to_facility.network_id != case.network_id:
        raise ValidationError(_("Choose one of the options."))
    if moved_at > timezone.now():
        raise ValidationError(_("Choose a time that has passed."))
    transfer = CaseTransfer.objects.create(
        case=case,
        moved_at=moved_at,
        from_facility=case.facility,
        to_facility=to_facility,
        note=note.strip()[:1000],
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    case.facility = to_facility
    fields = ["facility"]
    if case.state.slug in ("reported", "detained", "counsel"):
        case.state = state_of(case.network, "transferred")
        fields.append("state")
    case.save(update_fields=fields)
    moved = f"{transfer.from_facility.name if transfer.from_facility else '—'} → {to_facility.name}"
    event_add(
        case,
        CaseEvent.Kind.TRANSFER,
        actor,
        note=f"{moved}. {transfer.note}" if transfer.note else moved,
        state=case.state,
    )
    _audit(case, AuditEvent.Action.UPDATE, actor, fields, note=f"transfer={transfer.pk}")
    return transfer


#: the fields a case's edit form changes
EDITABLE = (
    "given_names",
    "family_names",
    "a_number",
    "country_of_birth",
    "facility",
    "detained_at",
    "screening",
    "details",
    "notes",
    "language",
    "referral",
)


@transaction.atomic
def case_update(*, case: Case, data: dict[str, Any], actor: User | Any) -> list[str]:
    """Change what the edit form holds; audited and on the timeline by field name."""
    if "a_number" in data:
        data["a_number"] = a_number_clean(data["a_number"])
    for key in ("given_names", "family_names", "country_of_birth"):
        if key in data:
            data[key] = _clean_name(data[key])
    if "details" in data:
        data["details"] = _clean_details(data["details"])
    if "screening" in data:
        data["screening"] = {k: True for k in SCREENING if data["screening"].get(k)}
    if not (
        data.get("given_names", case.given_names) or data.get("family_names", case.family_names)
    ):
        raise ValidationError(_("Write the name exactly as on the person's documents."))
    for key in ("facility", "referral"):
        value = data.get(key)
        if value is not None and value.network_id != case.network_id:
            raise ValidationError(_("Choose one of the options."))
    changed = [k for k in EDITABLE if k in data and getattr(case, k) != data[k]]
    if not changed:
        return []
    for key in changed:
        setattr(case, key, data[key])
    if "detained_at" in changed and case.state.slug == "reported" and case.detained_at:
        case.state = state_of(case.network, "detained")
        changed.append("state")
    case.save(update_fields=[*changed, "name_tokens"])
    # The timeline's line is read in each member's language: it names no field (the
    # audit log keeps their names).
    event_add(case, CaseEvent.Kind.EDIT, actor)
    _audit(case, AuditEvent.Action.UPDATE, actor, changed)
    return changed


# --- retention ----------------------------------------------------------------------------

#: at most this many cases shredded per run
SHRED_BATCH = 100


def cases_shred_closed(*, older_than: timedelta) -> int:
    """Crypto-shred the cases closed longer than ``older_than`` ago: their data key goes, so
    everything sealed with it (and matched hand-offs) is unreadable forever, even in old
    backups; the rows stay as numbers and dates."""
    cutoff = timezone.now() - older_than
    due = list(
        Case.objects.filter(closed_at__lt=cutoff, wrapped_key__isnull=False).order_by("pk")[
            :SHRED_BATCH
        ]
    )
    for case in due:
        with transaction.atomic():
            case.shred()
            for handoff in CaseHandoff.objects.filter(case=case, wrapped_key__isnull=False):
                handoff.shred()
            _audit(case, AuditEvent.Action.DELETE, None, ["wrapped_key"], note="shredded")
    return len(due)
