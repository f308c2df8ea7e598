"""Demo schedule: weekly rotations covering 24/7 with the network's hotline responders,
a month of shifts (a week back, three weeks ahead), and ONE gap in Spanish coverage in
the coming week (a Tuesday night staffed by English-only responders) so the coverage
page has something to show."""

from __future__ import annotations

import random
from datetime import time, timedelta

from django.db import transaction
from django.utils import timezone

from amparo.accounts.models import Membership, Network
from amparo.people.models import Person
from amparo.people.participation import network_zone

from .models import (
    Call,
    CallStatus,
    RotationMember,
    Shift,
    ShiftAssignment,
    ShiftRole,
    ShiftRotation,
)
from .shifts.rotations import shifts_generate

SLOTS = [(time(0), time(6)), (time(6), time(12)), (time(12), time(18)), (time(18), time(0))]
GAP_WEEKDAY = 1  # Tuesday
GAP_SLOT = 3  # 18:00–24:00
BEFORE_DAYS = 7
AFTER_DAYS = 23


def _pick(pool: list[Person], need: str | None, taken: set[int], rng: random.Random) -> Person:
    """The least-used person of ``pool`` (speaking ``need`` if given) not in ``taken``."""
    fitting = [p for p in pool if p.pk not in taken and (need is None or need in p.speaks())]
    if not fitting:
        fitting = [p for p in pool if p.pk not in taken] or pool
    return fitting[0]


@transaction.atomic
def seed_shifts(network: Network) -> int:
    """Seed the schedule once; returns how many shifts it created."""
    if ShiftRotation.objects.filter(network=network).exists():
        return 0
    people = list(
        Person.objects.filter(network=network, roles__slug="hotline")
        .exclude(status__in=[Person.Status.INACTIVE, Person.Status.REMOVED])
        .distinct()
        .order_by("pk")
    )
    if len(people) < 3:
        return 0
    rng = random.Random(20260404)  # noqa: S311 - fiction, not security
    load = {p.pk: 0 for p in people}

    def by_load() -> list[Person]:
        return sorted(people, key=lambda p: (load[p.pk], rng.random()))

    rotations: list[ShiftRotation] = []
    staff: list[list[tuple[Person, str]]] = []
    for weekday in range(7):
        for slot, (start, end) in enumerate(SLOTS):
            bilingual = slot in (1, 2) and weekday < 5  # weekday business hours need English too
            languages = ["es", "en"] if bilingual else ["es"]
            rotations.append(
                ShiftRotation(
                    network=network,
                    name="",
                    weekday=weekday,
                    start_time=start,
                    end_time=end,
                    languages_required=languages,
                )
            )
            taken: set[int] = set()
            first = _pick(by_load(), "es", taken, rng)
            taken.add(first.pk)
            second = _pick(by_load(), "en" if bilingual else None, taken, rng)
            taken.add(second.pk)
            backup = _pick(by_load(), "es", taken, rng)
            chosen = [(first, ShiftRole.PRIMARY), (second, ShiftRole.PRIMARY)]
            chosen.append((backup, ShiftRole.BACKUP))
            for person, _role in chosen:
                load[person.pk] += 1
            staff.append([(p, str(r)) for p, r in chosen])
    ShiftRotation.objects.bulk_create(rotations)
    rotations = list(
        ShiftRotation.objects.filter(network=network).order_by("weekday", "start_time")
    )
    members = [
        RotationMember(rotation=rotation, person=person, role=role)
        for rotation, crew in zip(rotations, staff, strict=True)
        for person, role in crew
    ]
    RotationMember.objects.bulk_create(members)

    today = timezone.localtime(timezone.now(), network_zone(network)).date()
    created = shifts_generate(
        network=network,
        start_date=today - timedelta(days=BEFORE_DAYS),
        days=BEFORE_DAYS + AFTER_DAYS,
    )
    _seed_gap(network, people)
    _link_demo_login(network, people)
    return created


def _seed_gap(network: Network, people: list[Person]) -> None:
    """The coming Tuesday night: both Spanish speakers swapped for English-only people."""
    english_only = [p for p in people if "es" not in p.speaks()]
    if len(english_only) < 2:
        return
    now = timezone.now()
    target = (
        Shift.objects.filter(
            network=network,
            rotation__weekday=GAP_WEEKDAY,
            rotation__start_time=SLOTS[GAP_SLOT][0],
            starts_at__gt=now,
        )
        .order_by("starts_at")
        .first()
    )
    if target is None:
        return
    ShiftAssignment.objects.filter(shift=target, role=ShiftRole.PRIMARY).delete()
    ShiftAssignment.objects.bulk_create(
        [ShiftAssignment(shift=target, person=p, role=ShiftRole.PRIMARY) for p in english_only[:2]]
    )


def _link_demo_login(network: Network, people: list[Person]) -> None:
    """Give the demo hotline login a person with shifts, so "My shifts" shows something."""
    memberships = Membership.objects.filter(network=network).select_related("user")
    for membership in memberships:
        if "hotline" not in membership.role_slugs():
            continue
        user = membership.user
        if Person.objects.filter(network=network, user=user).exists():
            continue
        spanish = next((p for p in people if p.user_id is None and "es" in p.speaks()), None)
        if spanish is not None:
            Person.objects.filter(pk=spanish.pk).update(user=user)
            spanish.user_id = user.pk


def _tone_wav(seconds: float = 1.5) -> bytes:
    """A short tone: the demo's stand-in for a recorded voicemail (no real voices)."""
    import io
    import math
    import struct
    import wave

    rate = 8000
    frames = b"".join(
        struct.pack("<h", int(6000 * math.sin(2 * math.pi * 440 * i / rate)))
        for i in range(int(rate * seconds))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


def seed_calls(network: Network) -> int:
    """A few fictional calls of the last days: answered, missed, two voicemails."""
    import base64

    if Call.objects.filter(network=network).exists():
        return 0
    responders = list(
        Person.objects.filter(network=network, roles__slug="hotline").order_by("pk")[:3]
    )
    now = timezone.now()
    audio = base64.b64encode(_tone_wav()).decode("ascii")
    specs = [
        (26, "es", CallStatus.COMPLETED, 35, None),
        (20, "en", CallStatus.COMPLETED, 52, None),
        (9, "es", CallStatus.MISSED, None, None),
        (5, "es", CallStatus.VOICEMAIL, None, "waiting"),
        (2, "es", CallStatus.COMPLETED, 18, None),
        (1, "en", CallStatus.VOICEMAIL, None, "done"),
    ]
    for n, (hours_ago, language, status, answer_after, voicemail) in enumerate(specs):
        started = now - timedelta(hours=hours_ago)
        call = Call(
            network=network,
            provider="sandbox",
            provider_sid=f"demo-call-{n}",
            from_number=f"+1413555{170 + n:04d}",
            language=language,
            status=status,
            started_at=started,
            ended_at=started + timedelta(minutes=4),
        )
        if answer_after is not None and responders:
            call.answered_at = started + timedelta(seconds=answer_after)
            call.answered_by = responders[n % len(responders)]
        if voicemail:
            call.recording = audio
            call.recording_status = Call.Recording.STORED
            call.recording_duration = 2
            if voicemail == "done":
                call.callback_done_at = started + timedelta(minutes=30)
        call.save()
    return len(specs)
