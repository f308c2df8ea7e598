"""Rotations and shifts: generation (idempotent, DST-safe, overnight), the schedule pages,
tenancy (404), capabilities (403), bad input, the demo seed and "on now"."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from amparo.conftest import client_for, make_user
from amparo.hotline.demo import seed_shifts
from amparo.hotline.models import Shift, ShiftAssignment, ShiftRotation
from amparo.hotline.shifts.coverage import coverage_gaps, on_now
from amparo.hotline.shifts.rotations import rotation_create, shifts_generate
from amparo.tests.factories import PersonFactory

NY = ZoneInfo("America/New_York")


def make_shift(network, starts_at, hours=6, people=(), languages=("es",), backups=()):
    shift = Shift.objects.create(
        network=network,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        languages_required=list(languages),
    )
    for p in people:
        ShiftAssignment.objects.create(shift=shift, person=p, role="primary")
    for p in backups:
        ShiftAssignment.objects.create(shift=shift, person=p, role="backup")
    return shift


# --- generation -----------------------------------------------------------------------


def test_generate_is_idempotent_and_keeps_edited_shifts(network_a):
    ana = PersonFactory.create(
        network=network_a, name="Ana", other_languages=["en"], roles=["hotline"]
    )
    ben = PersonFactory.create(network=network_a, name="Ben", language="en", roles=["hotline"])
    rotation = rotation_create(
        network=network_a,
        weekday=0,
        start_time=time(18),
        end_time=time(0),
        languages_required=["es"],
        primaries=[ana],
        backups=[ben],
    )
    monday = date(2026, 6, 1)
    assert shifts_generate(network=network_a, start_date=monday, days=14) == 2
    shift = Shift.objects.filter(rotation=rotation).order_by("starts_at").first()
    assert shift is not None
    # overnight: 18:00 → 00:00 the next day, local
    assert shift.starts_at.astimezone(NY).time() == time(18)
    assert shift.ends_at.astimezone(NY) == datetime(2026, 6, 2, 0, 0, tzinfo=NY)
    assert {(a.person_id, a.role) for a in shift.assignments.all()} == {
        (ana.pk, "primary"),
        (ben.pk, "backup"),
    }
    # the coordinator edits the first shift; generating again neither doubles nor resets it
    ShiftAssignment.objects.filter(shift=shift, person=ben).delete()
    assert shifts_generate(network=network_a, start_date=monday, days=14) == 0
    assert Shift.objects.filter(rotation=rotation).count() == 2
    assert list(shift.assignments.values_list("person_id", flat=True)) == [ana.pk]


def test_a_rotation_across_a_dst_change_keeps_local_wall_clock_times(network_a):
    ana = PersonFactory.create(network=network_a, name="Ana", roles=["hotline"])
    # Sundays 01:00–07:00; DST starts in New York on Sunday 8 March 2026 at 02:00.
    rotation_create(
        network=network_a, weekday=6, start_time=time(1), end_time=time(7), primaries=[ana]
    )
    shifts_generate(network=network_a, start_date=date(2026, 3, 1), days=14)
    before, after = Shift.objects.order_by("starts_at")
    for shift in (before, after):
        assert shift.starts_at.astimezone(NY).time() == time(1)
        assert shift.ends_at.astimezone(NY).time() == time(7)
    assert before.ends_at - before.starts_at == timedelta(hours=6)
    assert after.ends_at - after.starts_at == timedelta(hours=5)  # the night is shorter
    assert after.starts_at.utcoffset() == timedelta(0)
    assert after.starts_at.hour == 6  # 01:00 EST == 06:00 UTC


def test_rotation_refuses_a_person_of_another_network(network_a, network_b):
    stranger = PersonFactory.create(network=network_b, name="Zoe", roles=["hotline"])
    with pytest.raises(ValidationError):
        rotation_create(
            network=network_a,
            weekday=1,
            start_time=time(9),
            end_time=time(15),
            primaries=[stranger],
        )
    assert not ShiftRotation.objects.exists()


def test_rotation_form_overnight_ok_and_foreign_person_refused(network_a, network_b, coordinator_a):
    ana = PersonFactory.create(network=network_a, name="Ana", roles=["hotline"])
    stranger = PersonFactory.create(network=network_b, name="Zoe", roles=["hotline"])
    client = client_for(coordinator_a)
    url = reverse("hotline:rotation_new")
    data = {
        "weekday": "4",
        "start_time": "22:00",
        "end_time": "04:00",
        "languages_required": ["es"],
        "primaries": [str(ana.pk)],
        "is_active": "on",
    }
    assert client.post(url, {**data, "primaries": [str(stranger.pk)]}).status_code == 400
    assert not ShiftRotation.objects.exists()
    response = client.post(url, data)
    assert response.status_code == 302
    rotation = ShiftRotation.objects.get()
    assert (rotation.start_time, rotation.end_time) == (time(22), time(4))
    assert list(rotation.members.values_list("person_id", flat=True)) == [ana.pk]
    response = client.post(
        reverse("hotline:shifts_generate"), {"start_date": "2026-06-01", "days": "7"}
    )
    assert response.status_code == 302
    shift = Shift.objects.get()
    assert shift.ends_at - shift.starts_at == timedelta(hours=6)


# --- pages: tenancy and capabilities ------------------------------------------------------


def test_other_network_gets_404_and_missing_capability_403(
    network_a, coordinator_a, coordinator_b, volunteer_a
):
    ana = PersonFactory.create(network=network_a, name="Ana", roles=["hotline"])
    rotation = rotation_create(
        network=network_a, weekday=2, start_time=time(6), end_time=time(12), primaries=[ana]
    )
    shift = make_shift(network_a, timezone.now() + timedelta(hours=2), people=[ana])
    assignment = shift.assignments.get()
    other = client_for(coordinator_b)
    for url in (
        reverse("hotline:shift", kwargs={"pk": shift.pk}),
        reverse("hotline:rotation_edit", kwargs={"pk": rotation.pk}),
    ):
        assert other.get(url).status_code == 404
    for url in (
        reverse("hotline:shift_unassign", kwargs={"pk": assignment.pk}),
        reverse("hotline:shift_assign", kwargs={"pk": shift.pk}),
        reverse("hotline:swap_request", kwargs={"pk": assignment.pk}),
    ):
        assert other.post(url, {"person": ana.pk, "role": "primary"}).status_code == 404
    assert ShiftAssignment.objects.filter(pk=assignment.pk).exists()

    committee = client_for(volunteer_a)  # no hotline capability
    for name in ("shifts", "rotations", "coverage", "on_now", "mine", "rotation_new"):
        assert committee.get(reverse(f"hotline:{name}")).status_code == 403, name
    assert committee.get(reverse("hotline:shift", kwargs={"pk": shift.pk})).status_code == 403

    responder = client_for(make_user(network_a, "r@a.example", ["hotline"]))
    assert responder.get(reverse("hotline:shifts")).status_code == 200
    assert responder.get(reverse("hotline:on_now")).status_code == 200
    assert responder.get(reverse("hotline:rotations")).status_code == 403
    assert responder.get(reverse("hotline:coverage")).status_code == 403
    response = responder.post(reverse("hotline:shift_unassign", kwargs={"pk": assignment.pk}))
    assert response.status_code == 403
    assert ShiftAssignment.objects.filter(pk=assignment.pk).exists()


def test_coordinator_adds_and_removes_a_person(network_a, network_b, coordinator_a):
    ana = PersonFactory.create(network=network_a, name="Ana", roles=["hotline"])
    ben = PersonFactory.create(network=network_a, name="Ben", language="en", roles=["hotline"])
    stranger = PersonFactory.create(network=network_b, name="Zoe", roles=["hotline"])
    shift = make_shift(network_a, timezone.now() + timedelta(hours=3), people=[ana])
    client = client_for(coordinator_a)
    page = client.get(reverse("hotline:shift", kwargs={"pk": shift.pk}))
    assert page.status_code == 200 and "Ana" in page.content.decode()
    url = reverse("hotline:shift_assign", kwargs={"pk": shift.pk})
    client.post(url, {"person": stranger.pk, "role": "primary"})
    assert not shift.assignments.filter(person=stranger).exists()
    client.post(url, {"person": ben.pk, "role": "backup"})
    assert shift.assignments.get(person=ben).role == "backup"
    added = shift.assignments.get(person=ben)
    client.post(reverse("hotline:shift_unassign", kwargs={"pk": added.pk}))
    assert not shift.assignments.filter(person=ben).exists()
    week = client.get(reverse("hotline:shifts"))
    assert week.status_code == 200 and "Ana" in week.content.decode()


def test_on_now_by_language_and_next_change(network_a, coordinator_a):
    ana = PersonFactory.create(network=network_a, name="Ana", roles=["hotline"])
    ben = PersonFactory.create(
        network=network_a, name="Ben", language="en", other_languages=["es"], roles=["hotline"]
    )
    cai = PersonFactory.create(network=network_a, name="Cai", language="en", roles=["hotline"])
    now = timezone.now()
    shift = make_shift(
        network_a, now - timedelta(hours=1), hours=4, people=[ana, cai], backups=[ben]
    )
    panel = on_now(network=network_a)
    assert [p.pk for p in panel.by_language["es"][0]] == [ana.pk]
    assert [p.pk for p in panel.by_language["en"][0]] == [cai.pk]
    assert [p.pk for p in panel.by_language["es"][1]] == [ben.pk]
    assert panel.next_change == shift.ends_at
    page = client_for(coordinator_a).get(reverse("hotline:on_now"))
    assert page.status_code == 200
    assert "Ana" in page.content.decode() and "Ben" in page.content.decode()


# --- the demo ---------------------------------------------------------------------------


def test_seed_shifts_covers_24_7_with_one_spanish_gap(network_a):
    for i in range(40):
        langs = ("es", "en") if i % 3 == 0 else (("en",) if i % 4 == 1 else ("es",))
        PersonFactory.create(
            network=network_a,
            name=f"Responder {i}",
            language=langs[0],
            other_languages=list(langs[1:]),
            roles=["hotline"],
        )
    created = seed_shifts(network_a)
    assert created >= 4 * 29
    assert seed_shifts(network_a) == 0  # idempotent
    assert ShiftRotation.objects.filter(network=network_a).count() == 28
    for rotation in ShiftRotation.objects.filter(network=network_a):
        roles = sorted(rotation.members.values_list("role", flat=True))
        assert roles == ["backup", "primary", "primary"]
    gaps = coverage_gaps(network=network_a, start=timezone.now(), days=14)
    assert [g for g in gaps if g.language == ""] == []  # somebody on shift every hour
    spanish = [g for g in gaps if g.language == "es"]
    assert len(spanish) == 1
    assert spanish[0].starts_at.astimezone(NY).weekday() == 1
    assert spanish[0].starts_at.astimezone(NY).hour == 18
