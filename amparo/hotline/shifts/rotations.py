"""Weekly rotations, the concrete shifts generated from them, and editing one shift.

Rotation times are wall-clock in the network's time zone (stable across DST); concrete
shifts are stored in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User
from amparo.people.models import Person
from amparo.people.participation import network_zone

from ..models import RotationMember, Shift, ShiftAssignment, ShiftRole, ShiftRotation

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


def local_bounds(
    *, network: Network, day: date, start: time, end: time
) -> tuple[datetime, datetime]:
    """UTC start and end of a shift on local ``day``; an end at or before the start: next day."""
    zone = network_zone(network)
    end_day = day + timedelta(days=1) if end <= start else day
    starts = datetime.combine(day, start, tzinfo=zone)
    ends = datetime.combine(end_day, end, tzinfo=zone)
    return starts.astimezone(UTC), ends.astimezone(UTC)


def local_midnight(network: Network, day: date) -> datetime:
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


def rotation_create(*, network: Network, actor: User | None = None, **fields: Any) -> ShiftRotation:
    """A new rotation: ``rotation_update``'s fields."""
    return rotation_update(rotation=ShiftRotation(network=network), actor=actor, **fields)


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
    """Create or change a rotation; shifts generated already stay (edited or swapped, maybe)."""
    if weekday not in range(7):
        raise ValidationError(_("Choose a day of the week."))
    languages = _clean_languages(languages_required)
    primary_people = _check_people(rotation.network, primaries)
    backup_people = _check_people(rotation.network, backups)
    created = rotation.pk is None
    rotation.name = name[:80]
    rotation.weekday = weekday
    rotation.start_time = start_time
    rotation.end_time = end_time
    rotation.languages_required = languages
    rotation.is_active = is_active
    rotation.save()
    _set_members(rotation, primary_people, backup_people)
    audit_record(
        action=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
        actor=actor,
        network=rotation.network,
        obj=rotation,
        fields=()
        if created
        else ["weekday", "start_time", "end_time", "languages_required", "members"],
    )
    return rotation


def shifts_generate(*, network: Network, start_date: date, days: int) -> int:
    """Create the shifts (and assignments) of every active rotation for ``days`` local days;
    a shift that exists is never touched again (it may have been edited or swapped)."""
    days = max(0, min(int(days), 400))
    rotations = list(
        ShiftRotation.objects.filter(network=network, is_active=True).prefetch_related("members")
    )
    if not rotations or not days:
        return 0
    window_start = local_midnight(network, start_date - timedelta(days=1))
    window_end = local_midnight(network, start_date + timedelta(days=days + 1))
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
