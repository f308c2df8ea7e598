"""The hotline schedule: weekly rotations, concrete shifts, coverage gaps, swaps
(on the web and by SMS: "TAKE 4821" / "TOMAR 4821"), reminders, the iCal feed token
and the "on now" panel.

Rotation times are wall-clock times in the network's time zone (``zoneinfo``), so a
"Mondays 18:00–24:00" rotation stays 18:00–24:00 local across a DST change; concrete
shifts are stored in UTC.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User
from amparo.channels import inbound
from amparo.channels.outbox import outbox_write
from amparo.channels.registry import sms_channel
from amparo.lib.crypto.blind import fold, phone_index
from amparo.people.models import Person, PersonPhone
from amparo.people.participation import network_zone

from .models import (
    RotationMember,
    Shift,
    ShiftAssignment,
    ShiftRole,
    ShiftRotation,
    SwapRequest,
)
from .services import on_shift

log = logging.getLogger(__name__)

UTC = UTC
LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]
#: how far ahead a shift reminder goes out
REMINDER_HOURS = 12
#: the coverage report's default window
COVERAGE_DAYS = 14
#: at most this many reminders per sweep (the next sweep takes the rest)
REMINDER_BATCH = 500
INBOUND_HANDLER = "hotline.swap"
#: channels whose senders are phone numbers (replies to a swap text come back on them)
SMS_REPLY_CHANNELS = {"sandbox", "twilio_sms"}
TAKE_WORDS = {"take", "tomar", "tomo", "toma", "tomo el turno"}
TAKE_KEYWORD = {"en": "TAKE", "es": "TOMAR"}
_TAKE_RE = re.compile(r"^([a-z ]+?)\s*#?\s*(\d{4,8})$")
FEED_SALT = "amparo.hotline.ical"
FEED_REVOKED_NOTE = "ical-feed-revoked"


# --- helpers ------------------------------------------------------------------------


def local_bounds(
    *, network: Network, day: date, start: time, end: time
) -> tuple[datetime, datetime]:
    """UTC start and end of a shift on local ``day`` from wall-clock times; an end at or
    before the start is the next day."""
    zone = network_zone(network)
    end_day = day + timedelta(days=1) if end <= start else day
    starts = datetime.combine(day, start, tzinfo=zone)
    ends = datetime.combine(end_day, end, tzinfo=zone)
    return starts.astimezone(UTC), ends.astimezone(UTC)


def _local_midnight(network: Network, day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=network_zone(network)).astimezone(UTC)


def _clean_languages(languages: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(code for code in languages if code))
    unknown = [code for code in chosen if code not in LANGUAGE_CODES]
    if unknown:
        raise ValidationError(_("Choose languages from the list."))
    return chosen


def _check_people(network: Network, people: Iterable[Person]) -> list[Person]:
    people = list(people)
    if any(p.network_id != network.pk for p in people):
        raise ValidationError(_("Choose people of this network."))
    return people


def hotline_people(network: Network) -> QuerySet[Person]:
    """The network's hotline responders: the "hotline" role, or on a rotation."""
    return (
        Person.objects.filter(network=network)
        .exclude(status__in=[Person.Status.INACTIVE, Person.Status.REMOVED])
        .filter(Q(roles__slug="hotline") | Q(rotations__rotation__network=network))
        .distinct()
        .order_by("pk")
    )


def _sms_number(person: Person) -> str:
    if person.opted_out_at or "sms" in person.opted_out_of():
        return ""
    phone = (
        PersonPhone.objects.filter(person=person, dead_at__isnull=True, sms_ok=True)
        .order_by("-is_primary", "id")
        .first()
    )
    return phone.number if phone is not None else ""


def _text(person: Person, body: str, purpose: str) -> bool:
    """Text ``person`` (already-translated ``body``); False when they cannot be texted."""
    channel = sms_channel()
    number = _sms_number(person) if channel else ""
    if not number:
        return False
    outbox_write(
        network=person.network,
        channel=channel,
        to=number,
        body=body,
        purpose=purpose,
        language=person.language,
    )
    return True


def shift_when(shift: Shift, language: str | None = None) -> str:
    """'Tue 12 Mar 18:00–00:00' in the network's time zone and the active language."""
    zone = network_zone(shift.network)
    starts = shift.starts_at.astimezone(zone)
    ends = shift.ends_at.astimezone(zone)
    with translation.override(language or translation.get_language()):
        day = formats.date_format(starts, "D j M")
        return f"{day} {starts:%H:%M}–{ends:%H:%M}"


# --- rotations ----------------------------------------------------------------------


def _set_members(rotation: ShiftRotation, primaries: list[Person], backups: list[Person]) -> None:
    RotationMember.objects.filter(rotation=rotation).delete()
    seen: set[int] = set()
    rows = []
    for role, people in ((ShiftRole.PRIMARY, primaries), (ShiftRole.BACKUP, backups)):
        for person in people:
            if person.pk in seen:
                continue
            seen.add(person.pk)
            rows.append(RotationMember(rotation=rotation, person=person, role=role))
    RotationMember.objects.bulk_create(rows)


@transaction.atomic
def rotation_create(
    *,
    network: Network,
    weekday: int,
    start_time: time,
    end_time: time,
    name: str = "",
    languages_required: Iterable[str] = (),
    primaries: Iterable[Person] = (),
    backups: Iterable[Person] = (),
    actor: User | None = None,
) -> ShiftRotation:
    if weekday not in range(7):
        raise ValidationError(_("Choose a day of the week."))
    languages = _clean_languages(languages_required)
    primary_people = _check_people(network, primaries)
    backup_people = _check_people(network, backups)
    rotation = ShiftRotation.objects.create(
        network=network,
        name=name[:80],
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        languages_required=languages,
    )
    _set_members(rotation, primary_people, backup_people)
    audit_record(action=AuditEvent.Action.CREATE, actor=actor, network=network, obj=rotation)
    return rotation


@transaction.atomic
def rotation_update(
    *,
    rotation: ShiftRotation,
    weekday: int,
    start_time: time,
    end_time: time,
    name: str = "",
    languages_required: Iterable[str] = (),
    primaries: Iterable[Person] = (),
    backups: Iterable[Person] = (),
    is_active: bool = True,
    actor: User | None = None,
) -> ShiftRotation:
    """Change a rotation; shifts already generated stay as they are (they may have been
    edited or swapped); the next generation uses the new slot."""
    if weekday not in range(7):
        raise ValidationError(_("Choose a day of the week."))
    languages = _clean_languages(languages_required)
    primary_people = _check_people(rotation.network, primaries)
    backup_people = _check_people(rotation.network, backups)
    rotation.name = name[:80]
    rotation.weekday = weekday
    rotation.start_time = start_time
    rotation.end_time = end_time
    rotation.languages_required = languages
    rotation.is_active = is_active
    rotation.save()
    _set_members(rotation, primary_people, backup_people)
    audit_record(
        action=AuditEvent.Action.UPDATE,
        actor=actor,
        network=rotation.network,
        obj=rotation,
        fields=["weekday", "start_time", "end_time", "languages_required", "members"],
    )
    return rotation


def shifts_generate(*, network: Network, start_date: date, days: int) -> int:
    """Create the concrete shifts (and their assignments) of every active rotation for
    ``days`` local days from ``start_date``. Idempotent: a shift that exists for a
    rotation and start time is never touched again (it may have been edited or swapped).
    Returns how many shifts were created."""
    days = max(0, min(int(days), 400))
    rotations = list(
        ShiftRotation.objects.filter(network=network, is_active=True).prefetch_related("members")
    )
    if not rotations or not days:
        return 0
    window_start = _local_midnight(network, start_date - timedelta(days=1))
    window_end = _local_midnight(network, start_date + timedelta(days=days + 1))
    existing = set(
        Shift.objects.filter(
            rotation__in=rotations, starts_at__gte=window_start, starts_at__lt=window_end
        ).values_list("rotation_id", "starts_at")
    )
    stamp = timezone.now()
    planned: list[Shift] = []
    for offset in range(days):
        day = start_date + timedelta(days=offset)
        for rotation in rotations:
            if rotation.weekday != day.weekday():
                continue
            starts, ends = local_bounds(
                network=network, day=day, start=rotation.start_time, end=rotation.end_time
            )
            if (rotation.pk, starts) in existing:
                continue
            planned.append(
                Shift(
                    network=network,
                    rotation=rotation,
                    starts_at=starts,
                    ends_at=ends,
                    languages_required=list(rotation.languages_required or []),
                    created_at=stamp,
                )
            )
    if not planned:
        return 0
    by_rotation = {r.pk: r for r in rotations}
    with transaction.atomic():
        # A concurrent run may have created some: those are skipped, never doubled.
        Shift.objects.bulk_create(planned, batch_size=500, ignore_conflicts=True)
        created = list(
            Shift.objects.filter(
                network=network,
                rotation__in=rotations,
                created_at=stamp,
                starts_at__gte=window_start,
                starts_at__lt=window_end,
            ).exclude(assignments__isnull=False)
        )
        assignments = [
            ShiftAssignment(shift=shift, person_id=member.person_id, role=member.role)
            for shift in created
            for member in by_rotation[shift.rotation_id].members.all()  # type: ignore[index]
        ]
        ShiftAssignment.objects.bulk_create(assignments, batch_size=1000, ignore_conflicts=True)
    return len(created)


# --- editing one shift ------------------------------------------------------------------


@transaction.atomic
def shift_assign(
    *, shift: Shift, person: Person, role: str = ShiftRole.PRIMARY, actor: User | None = None
) -> ShiftAssignment:
    if person.network_id != shift.network_id:
        raise ValidationError(_("Choose people of this network."))
    if role not in ShiftRole.values:
        raise ValidationError(_("Choose on shift or backup."))
    if ShiftAssignment.objects.filter(shift=shift, person=person).exists():
        raise ValidationError(_("This person is already on this shift."))
    try:
        with transaction.atomic():
            assignment = ShiftAssignment.objects.create(shift=shift, person=person, role=role)
    except IntegrityError:
        raise ValidationError(_("This person is already on this shift.")) from None
    audit_record(
        action=AuditEvent.Action.CREATE, actor=actor, network=shift.network, obj=assignment
    )
    return assignment


@transaction.atomic
def shift_unassign(*, assignment: ShiftAssignment, actor: User | None = None) -> None:
    shift = assignment.shift
    audit_record(
        action=AuditEvent.Action.DELETE, actor=actor, network=shift.network, obj=assignment
    )
    assignment.delete()


# --- coverage -------------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    """A stretch of whole hours with nobody on shift who speaks ``language``;
    ``language == ""`` means nobody is on shift at all."""

    language: str
    starts_at: datetime
    ends_at: datetime

    @property
    def hours(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 3600)

    @property
    def nobody(self) -> bool:
        return self.language == ""


def baseline_languages(network: Network) -> list[str]:
    """Languages needed at every hour whatever the rotation says: Spanish if offered."""
    return ["es"] if "es" in (network.languages or []) else []


def _covers(intervals: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> bool:
    """Do the intervals together cover [start, end) without a hole?"""
    reached = start
    for a, b in sorted(intervals):
        if a > reached:
            return False
        reached = max(reached, b)
        if reached >= end:
            return True
    return reached >= end


def coverage_gaps(
    *,
    network: Network,
    start: date | datetime | None = None,
    days: int = COVERAGE_DAYS,
    languages: Iterable[str] | None = None,
) -> list[Gap]:
    """Every hour from ``start`` (a local date, or a moment rounded down to the hour)
    for ``days`` local days where no primary on shift speaks a required language (the
    shift's ``languages_required`` plus :func:`baseline_languages`), or where nobody is
    on shift at all, merged into ranges. ``languages`` limits the report ("" = nobody)."""
    zone = network_zone(network)
    if start is None:
        start = timezone.now()
    if isinstance(start, datetime):
        local = start.astimezone(zone).replace(minute=0, second=0, microsecond=0)
        begin = local.astimezone(UTC)
        later = datetime.combine(local.date() + timedelta(days=days), local.time(), tzinfo=zone)
        end = later.astimezone(UTC)
    else:
        begin = _local_midnight(network, start)
        end = _local_midnight(network, start + timedelta(days=days))
    wanted = set(languages) if languages is not None else None

    shifts = list(
        Shift.objects.filter(network=network, starts_at__lt=end, ends_at__gt=begin)
        .prefetch_related("assignments__person")
        .order_by("starts_at")
    )
    # Per shift: its interval, its requirements, and the languages its primaries speak.
    spans: list[tuple[datetime, datetime, list[str], set[str], bool]] = []
    for shift in shifts:
        spoken: set[str] = set()
        staffed = False
        for a in shift.assignments.all():
            person = a.person
            if a.role != ShiftRole.PRIMARY or person.opted_out_at:
                continue
            if person.status in (Person.Status.INACTIVE, Person.Status.REMOVED):
                continue
            staffed = True
            spoken.update(person.speaks())
        spans.append(
            (shift.starts_at, shift.ends_at, list(shift.languages_required or []), spoken, staffed)
        )

    baseline = baseline_languages(network)
    hours: dict[str, list[datetime]] = {}
    hour = begin
    step = timedelta(hours=1)
    while hour < end:
        nxt = hour + step
        here = [s for s in spans if s[0] < nxt and s[1] > hour]
        required = list(dict.fromkeys([*baseline, *(c for s in here for c in s[2])]))
        manned = [(s[0], s[1]) for s in here if s[4]]
        if not _covers(manned, hour, nxt):
            hours.setdefault("", []).append(hour)
        for code in required:
            speaking = [(s[0], s[1]) for s in here if s[4] and code in s[3]]
            if not _covers(speaking, hour, nxt):
                hours.setdefault(code, []).append(hour)
        hour = nxt

    gaps: list[Gap] = []
    for code, starts in hours.items():
        if wanted is not None and code not in wanted:
            continue
        run_start = run_end = None
        for h in starts:
            if run_end is not None and h == run_end:
                run_end = h + step
                continue
            if run_start is not None and run_end is not None:
                gaps.append(Gap(code, run_start, run_end))
            run_start, run_end = h, h + step
        if run_start is not None and run_end is not None:
            gaps.append(Gap(code, run_start, run_end))
    gaps.sort(key=lambda g: (g.language != "", g.language, g.starts_at))
    return gaps


# --- on now -----------------------------------------------------------------------------


@dataclass
class OnNow:
    at: datetime
    primary: list[Person] = field(default_factory=list)
    backup: list[Person] = field(default_factory=list)
    # language -> (primaries, backups) who speak it
    by_language: dict[str, tuple[list[Person], list[Person]]] = field(default_factory=dict)
    next_change: datetime | None = None


def on_now(*, network: Network, at: datetime | None = None) -> OnNow:
    at = at or timezone.now()
    current = on_shift(network=network, at=at)
    result = OnNow(at=at, primary=current.primary, backup=current.backup)
    for code in network.languages or LANGUAGE_CODES:
        result.by_language[code] = (
            [p for p in current.primary if code in p.speaks()],
            [p for p in current.backup if code in p.speaks()],
        )
    ending = (
        Shift.objects.filter(network=network, starts_at__lte=at, ends_at__gt=at)
        .order_by("ends_at")
        .values_list("ends_at", flat=True)
        .first()
    )
    starting = (
        Shift.objects.filter(network=network, starts_at__gt=at)
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    changes = [c for c in (ending, starting) if c is not None]
    result.next_change = min(changes) if changes else None
    return result


# --- swaps -------------------------------------------------------------------------------


def person_for_user(*, network: Network, user: Any) -> Person | None:
    """The logged-in user's own person record in this network, if linked."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return (
        Person.objects.filter(network=network, user=user)
        .exclude(status=Person.Status.REMOVED)
        .order_by("pk")
        .first()
    )


def _eligible(shift: Shift, person: Person) -> str:
    """ "" if ``person`` may take a place on ``shift``, else why not (translated)."""
    if person.network_id != shift.network_id:
        return _("Choose people of this network.")
    if person.opted_out_at or person.status in (Person.Status.INACTIVE, Person.Status.REMOVED):
        return _("This person cannot take shifts now.")
    spoken = set(person.speaks())
    if any(code not in spoken for code in shift.languages_required or []):
        return _("This shift needs someone who speaks its languages.")
    if ShiftAssignment.objects.filter(shift=shift, person=person).exists():
        return _("You are already on this shift.")
    return ""


def swap_candidates(*, swap: SwapRequest) -> list[Person]:
    shift = swap.assignment.shift
    return [
        p
        for p in hotline_people(shift.network).filter(opted_out_at__isnull=True)
        if p.pk != swap.requested_by_id and not _eligible(shift, p)
    ]


def _new_code(network: Network) -> str:
    for _attempt in range(50):
        code = f"{secrets.randbelow(9000) + 1000}"
        if not SwapRequest.objects.filter(
            assignment__shift__network=network, code=code, status=SwapRequest.Status.OPEN
        ).exists():
            return code
    return f"{secrets.randbelow(900000) + 100000}"


def _ask_text(person: Person, swap: SwapRequest) -> str:
    shift = swap.assignment.shift
    with translation.override(person.language):
        return _(
            "%(network)s: Can you take a hotline shift, %(when)s? "
            "Reply %(keyword)s %(code)s to take it."
        ) % {
            "network": shift.network.name,
            "when": shift_when(shift, person.language),
            "keyword": TAKE_KEYWORD.get(person.language, "TAKE"),
            "code": swap.code,
        }


def swap_request_create(
    *, assignment: ShiftAssignment, person: Person | None, actor: User | None = None
) -> tuple[SwapRequest, int]:
    """``person`` asks for cover for their own assignment; eligible responders are
    texted. Returns (the request, how many were texted). An open request for the same
    assignment is returned as it is."""
    shift = assignment.shift
    if person is None or assignment.person_id != person.pk:
        raise ValidationError(_("You can only ask for cover for your own shift."))
    if shift.ends_at <= timezone.now():
        raise ValidationError(_("This shift is over."))
    with transaction.atomic():
        existing = SwapRequest.objects.filter(
            assignment=assignment, status=SwapRequest.Status.OPEN
        ).first()
        if existing is not None:
            return existing, 0
        swap = SwapRequest.objects.create(
            assignment=assignment, requested_by=person, code=_new_code(shift.network)
        )
        audit_record(action=AuditEvent.Action.CREATE, actor=actor, network=shift.network, obj=swap)
        texted = sum(
            1
            for candidate in swap_candidates(swap=swap)
            if _text(candidate, _ask_text(candidate, swap), "shift-swap")
        )
    return swap, texted


def swap_cancel(*, swap: SwapRequest, person: Person | None, actor: User | None = None) -> bool:
    if person is None or swap.requested_by_id != person.pk:
        raise ValidationError(_("You can only cancel your own request."))
    done = SwapRequest.objects.filter(pk=swap.pk, status=SwapRequest.Status.OPEN).update(
        status=SwapRequest.Status.CANCELLED, resolved_at=timezone.now()
    )
    if done:
        audit_record(
            action=AuditEvent.Action.UPDATE,
            actor=actor,
            network=swap.assignment.shift.network,
            obj=swap,
            fields=["status"],
        )
    return bool(done)


class SwapRefused(Exception):
    def __init__(self, message: str, *, taken: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.taken = taken


def _taken_texts(swap: SwapRequest, taker: Person) -> None:
    shift = swap.assignment.shift
    requester = swap.requested_by
    with translation.override(requester.language):
        body = _("%(network)s: Your hotline shift %(when)s is covered. Thank you.") % {
            "network": shift.network.name,
            "when": shift_when(shift, requester.language),
        }
    _text(requester, body, "shift-swap")


def taker_text(swap: SwapRequest, taker: Person) -> str:
    shift = swap.assignment.shift
    with translation.override(taker.language):
        return _("%(network)s: The hotline shift %(when)s is yours. Thank you!") % {
            "network": shift.network.name,
            "when": shift_when(shift, taker.language),
        }


def swap_take(
    *, swap: SwapRequest, person: Person, actor: User | None = None, text_taker: bool = True
) -> SwapRequest:
    """``person`` takes the shift. Exactly one taker wins (conditional UPDATE); everyone
    else gets SwapRefused. Both people are told by SMS (the taker only if
    ``text_taker``: the SMS handler answers them itself)."""
    assignment = swap.assignment
    shift = assignment.shift
    if person.network_id != shift.network_id:
        raise SwapRefused(_("Choose people of this network."))
    if swap.status != SwapRequest.Status.OPEN:
        raise SwapRefused(_("Someone already took this shift."), taken=True)
    if person.pk == swap.requested_by_id:
        raise SwapRefused(_("You asked for cover for this shift yourself."))
    if shift.ends_at <= timezone.now():
        raise SwapRefused(_("This shift is over."))
    reason = _eligible(shift, person)
    if reason:
        raise SwapRefused(reason)
    now = timezone.now()
    try:
        with transaction.atomic():
            won = SwapRequest.objects.filter(pk=swap.pk, status=SwapRequest.Status.OPEN).update(
                status=SwapRequest.Status.TAKEN, taken_by=person, resolved_at=now
            )
            if not won:
                raise SwapRefused(_("Someone already took this shift."), taken=True)
            moved = ShiftAssignment.objects.filter(
                pk=assignment.pk, person_id=swap.requested_by_id
            ).update(person=person, reminded_at=None)
            if not moved:
                raise SwapRefused(_("This shift has changed; ask the coordinator."))
            audit_record(
                action=AuditEvent.Action.UPDATE,
                actor=actor,
                network=shift.network,
                obj=assignment,
                fields=["person"],
                note=f"swap {swap.pk}",
            )
            swap.refresh_from_db()
            _taken_texts(swap, person)
            if text_taker:
                _text(person, taker_text(swap, person), "shift-swap")
    except IntegrityError:  # they were put on the shift meanwhile
        raise SwapRefused(_("You are already on this shift.")) from None
    return swap


def _sender(message: Any) -> list[Person]:
    from amparo.lib.phones import normalize_phone

    try:
        index = phone_index(normalize_phone(message.from_address or ""))
    except Exception:  # noqa: BLE001 - not a phone number: nobody we know
        return []
    return list(
        Person.objects.filter(network_id=message.network_id, phones__number_index=index).distinct()
    )


def parse_take(text: str) -> str:
    """The code in "TAKE 4821" / "tomar 4821" / "Tomo #4821", else ""."""
    words = fold(text or "").strip().strip(".!¡?¿").strip()
    match = _TAKE_RE.match(words)
    if match is None or match.group(1).strip() not in TAKE_WORDS:
        return ""
    return match.group(2)


def swap_inbound(message: Any) -> inbound.Handled | None:
    """Inbound handler: "TAKE 4821" from a responder's phone takes that open request."""
    if message.channel not in ({sms_channel(), *SMS_REPLY_CHANNELS} - {""}):
        return None
    code = parse_take(message.body or "")
    if not code:
        return None
    network = message.network
    people = _sender(message)
    language = people[0].language if people else (network.languages or ["en"])[0]
    matching = list(
        SwapRequest.objects.filter(assignment__shift__network=network, code=code)
        .select_related("assignment__shift__network", "requested_by__network")
        .order_by("-created_at")[:20]
    )
    # An open request with that code first, else the most recent one (to say "taken").
    swap_obj = next((s for s in matching if s.status == SwapRequest.Status.OPEN), None) or (
        matching[0] if matching else None
    )
    with translation.override(language):
        if not people:
            reply = _("%(network)s: We could not find this number among the hotline team.")
            return inbound.Handled(
                handler=INBOUND_HANDLER,
                reply=reply % {"network": network.name},
                language=language,
            )
        if swap_obj is None:
            reply = _("%(network)s: No shift is waiting for cover with that code.") % {
                "network": network.name
            }
            return inbound.Handled(handler=INBOUND_HANDLER, reply=reply, language=language)
        last_refusal = ""
        for person in people:
            try:
                swap_take(swap=swap_obj, person=person, text_taker=False)
            except SwapRefused as refused:
                last_refusal = refused.message
                if refused.taken:
                    break
                continue
            return inbound.Handled(
                handler=INBOUND_HANDLER, reply=taker_text(swap_obj, person), language=language
            )
        reply = f"{network.name}: {last_refusal}"
    return inbound.Handled(handler=INBOUND_HANDLER, reply=reply, language=language)


def register_inbound_handlers() -> None:
    """Called once at start-up (HotlineConfig.ready); registering twice is harmless."""
    inbound.register(INBOUND_HANDLER, swap_inbound, order=50)


# --- reminders ----------------------------------------------------------------------------


def _reminder_text(assignment: ShiftAssignment) -> str:
    person = assignment.person
    shift = assignment.shift
    with translation.override(person.language):
        values = {"network": shift.network.name, "when": shift_when(shift, person.language)}
        if assignment.role == ShiftRole.BACKUP:
            return _("%(network)s: Reminder: you are hotline backup %(when)s.") % values
        return _("%(network)s: Reminder: your hotline shift is %(when)s.") % values


def shift_reminders_due(*, hours: int = REMINDER_HOURS) -> int:
    """Sweep: text each person once before a shift starting within ``hours``.
    ``reminded_at`` is set by a conditional UPDATE, so two workers never both send."""
    now = timezone.now()
    due = list(
        ShiftAssignment.objects.filter(
            reminded_at__isnull=True,
            shift__starts_at__gt=now,
            shift__starts_at__lte=now + timedelta(hours=hours),
        )
        .select_related("shift__network", "person__network")
        .order_by("shift__starts_at", "id")[:REMINDER_BATCH]
    )
    sent = 0
    for assignment in due:
        with transaction.atomic():
            claimed = ShiftAssignment.objects.filter(
                pk=assignment.pk, reminded_at__isnull=True
            ).update(reminded_at=now)
            if not claimed:
                continue
            if _text(assignment.person, _reminder_text(assignment), "shift-reminder"):
                sent += 1
    return sent


# --- the iCal feed token --------------------------------------------------------------------


def _feed_generation(person: Person) -> int:
    """Bumped by :func:`feed_revoke` (an audit event), so old links stop working."""
    last = (
        AuditEvent.objects.filter(
            target_type=Person._meta.label_lower,
            target_id=str(person.pk),
            note=FEED_REVOKED_NOTE,
        )
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return int(last or 0)


def _feed_salt(person: Person) -> str:
    return f"{FEED_SALT}:{person.network_id}:{person.pk}:{_feed_generation(person)}"


def feed_token(*, person: Person) -> str:
    return signing.dumps(person.pk, salt=_feed_salt(person), compress=False)


def feed_person(*, pk: int, token: str) -> Person | None:
    """The person whose feed this is, or None for a forged, revoked or foreign token."""
    if not token or len(token) > 200:
        return None
    person = (
        Person.objects.filter(pk=pk)
        .exclude(status=Person.Status.REMOVED)
        .select_related("network")
        .first()
    )
    if person is None:
        return None
    try:
        value = signing.loads(token, salt=_feed_salt(person))
    except signing.BadSignature:
        return None
    return person if value == person.pk else None


def feed_revoke(*, person: Person, actor: User | None = None) -> None:
    audit_record(
        action=AuditEvent.Action.UPDATE,
        actor=actor,
        network=person.network,
        obj=person,
        fields=["ical_feed"],
        note=FEED_REVOKED_NOTE,
    )


def person_assignments(*, person: Person, since: datetime | None = None) -> list[ShiftAssignment]:
    since = since or timezone.now()
    return list(
        ShiftAssignment.objects.filter(person=person, shift__ends_at__gt=since)
        .select_related("shift__network")
        .order_by("shift__starts_at")[:500]
    )
