"""Participation: activities, the check-in page (search by name tokens, one POST per
person, idempotent), and the counts the solidarity fund uses."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from amparo.accounts.models import AuditEvent
from amparo.conftest import client_for, make_user
from amparo.people.models import Activity, Attendance, Committee
from amparo.people.participation import (
    activity_create,
    attendance_check_in,
    attendance_undo,
    network_zone,
    participation_by_person,
    participation_count,
    person_search,
)
from amparo.tests.factories import PersonFactory


def _activity(network, title="Asamblea general", *, at=None):
    return activity_create(
        network=network, title=title, starts_at=at or timezone.now(), kind="meeting"
    )


@pytest.fixture
def people(network_a):
    return {
        "maria": PersonFactory.create(network=network_a, name="María Núñez", phone="+14135550501"),
        "mario": PersonFactory.create(network=network_a, name="Mario Peña", phone="+14135550502"),
        "jose": PersonFactory.create(network=network_a, name="José Martínez", phone="+14135550503"),
        "removed": PersonFactory.create(
            network=network_a, name="Marta Borrada", phone="+14135550504", status="removed"
        ),
    }


# --- activities -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_volunteer_with_checkin_creates_an_activity(network_a, volunteer_a):
    committee = Committee.objects.get(network=network_a, slug="events")
    client = client_for(volunteer_a)  # committee role: participation.checkin
    assert client.get(reverse("people:activity_new")).status_code == 200
    response = client.post(
        reverse("people:activity_new"),
        {
            "kind": "action",
            "title": "Vigilia frente a la corte",
            "starts_at": "2030-06-01T09:30",
            "place": "Courthouse steps",
            "committee": committee.pk,
        },
    )
    activity = Activity.objects.get(network=network_a)
    assert response.status_code == 302
    assert response["Location"] == reverse("people:checkin", kwargs={"pk": activity.pk})
    assert activity.kind == "action" and activity.committee == committee
    local = timezone.localtime(activity.starts_at, network_zone(network_a))
    assert (local.hour, local.minute) == (9, 30)
    listing = client.get(reverse("people:activities")).content.decode()
    assert "Vigilia frente a la corte" in listing
    assert AuditEvent.objects.filter(target_type="people.activity", action="create").count() == 1


@pytest.mark.django_db
def test_bad_activity_input_is_refused(network_a, volunteer_a):
    response = client_for(volunteer_a).post(
        reverse("people:activity_new"), {"kind": "party", "title": "", "starts_at": "soon"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Give the activity a title." in page
    assert "Write a date and time, for example 2026-03-31 18:00." in page
    assert not Activity.objects.exists()


@pytest.mark.django_db
def test_without_the_checkin_capability_everything_is_403(network_a, people):
    activity = _activity(network_a)
    fund = make_user(network_a, "fausto@a.example", ["fund"])
    client = client_for(fund)
    assert client.get(reverse("people:activities")).status_code == 403
    assert client.get(reverse("people:activity_new")).status_code == 403
    assert client.post(reverse("people:activity_new"), {"title": "x"}).status_code == 403
    page = client.post(reverse("people:checkin", kwargs={"pk": activity.pk}), {"q": "mar"})
    assert page.status_code == 403 and "María" not in page.content.decode()
    url = reverse("people:checkin_person", kwargs={"pk": activity.pk})
    assert client.post(url, {"person": people["maria"].pk}).status_code == 403
    assert not Attendance.objects.exists()


# --- check-in ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_search_uses_name_tokens_and_ignores_accents_and_removed_people(network_a, people):
    assert {p.pk for p in person_search(network=network_a, q="mari")} == {
        people["maria"].pk,
        people["mario"].pk,
    }
    # any part of the name: "mar" is also the start of Martínez
    assert len(person_search(network=network_a, q="mar")) == 3
    assert [p.pk for p in person_search(network=network_a, q="MARIA nun")] == [people["maria"].pk]
    assert [p.pk for p in person_search(network=network_a, q="jose mart")] == [people["jose"].pk]
    assert person_search(network=network_a, q="") == []
    assert person_search(network=network_a, q="!!") == []
    assert person_search(network=network_a, q="zzz") == []


@pytest.mark.django_db
def test_check_in_on_a_phone_search_tap_done(network_a, volunteer_a, people):
    activity = _activity(network_a)
    client = client_for(volunteer_a)
    page_url = reverse("people:checkin", kwargs={"pk": activity.pk})
    page = client.post(page_url, {"q": "mari"}).content.decode()
    assert "María Núñez" in page and "Mario Peña" in page
    assert "José" not in page and "Marta Borrada" not in page
    # a plain form per person: works without JavaScript
    tap = reverse("people:checkin_person", kwargs={"pk": activity.pk})
    assert f'action="{tap}"' in page and f'value="{people["maria"].pk}"' in page
    response = client.post(tap, {"person": people["maria"].pk})
    assert response.status_code == 302
    attendance = Attendance.objects.get(activity=activity)
    assert attendance.person == people["maria"] and attendance.checked_in_by == volunteer_a
    done = client.get(response["Location"]).content.decode()
    assert "Checked in: María Núñez" in done
    assert "1 checked in" in done
    # searching again shows who is already in
    again = client.post(page_url, {"q": "mari"}).content.decode()
    assert "✓ checked in" in again
    # the name never travels in a cookie message
    assert "María" not in response.cookies.output()


@pytest.mark.django_db
def test_checking_in_twice_changes_nothing_and_says_so(network_a, volunteer_a, people):
    activity = _activity(network_a)
    client = client_for(volunteer_a)
    tap = reverse("people:checkin_person", kwargs={"pk": activity.pk})
    client.post(tap, {"person": people["mario"].pk})
    response = client.post(tap, {"person": people["mario"].pk}, follow=True)
    assert "Mario Peña was already checked in. Nothing changed." in response.content.decode()
    assert Attendance.objects.filter(activity=activity).count() == 1
    assert AuditEvent.objects.filter(target_type="people.attendance").count() == 1
    _, created = attendance_check_in(activity=activity, person=people["mario"])
    assert created is False


@pytest.mark.django_db
def test_a_removed_person_cannot_be_checked_in(network_a, volunteer_a, people):
    activity = _activity(network_a)
    tap = reverse("people:checkin_person", kwargs={"pk": activity.pk})
    response = client_for(volunteer_a).post(tap, {"person": people["removed"].pk}, follow=True)
    assert "This person was removed from the network." in response.content.decode()
    assert not Attendance.objects.exists()


@pytest.mark.django_db
def test_undo_a_mistaken_tap(network_a, volunteer_a, people):
    activity = _activity(network_a)
    attendance_check_in(activity=activity, person=people["jose"])
    client = client_for(volunteer_a)
    undo = reverse("people:checkin_undo", kwargs={"pk": activity.pk})
    response = client.post(undo, {"person": people["jose"].pk}, follow=True)
    assert "Check-in undone." in response.content.decode()
    assert not Attendance.objects.exists()
    response = client.post(undo, {"person": people["jose"].pk}, follow=True)
    assert "This person was not checked in." in response.content.decode()
    assert attendance_undo(activity=activity, person=people["jose"]) is False


# --- counts for the solidarity fund ---------------------------------------------------------------


@pytest.mark.django_db
def test_participation_counts(network_a, network_b, people):
    zone = network_zone(network_a)

    def at(day: date, hour: int = 18) -> datetime:
        return datetime(day.year, day.month, day.day, hour, tzinfo=zone)

    d1, d2, d3 = date(2030, 1, 10), date(2030, 2, 10), date(2030, 3, 31)
    january = _activity(network_a, "Enero", at=at(d1))
    february = _activity(network_a, "Febrero", at=at(d2))
    march_late = _activity(network_a, "Marzo tarde", at=at(d3, 23))
    maria, mario, jose = people["maria"], people["mario"], people["jose"]
    for activity in (january, february, march_late):
        attendance_check_in(activity=activity, person=maria)
    attendance_check_in(activity=february, person=mario)
    attendance_check_in(activity=february, person=mario)  # twice is once
    # network B's activity never counts for A
    b_person = PersonFactory.create(network=network_b, name="Bea Bee", phone="+14135550599")
    attendance_check_in(activity=_activity(network_b, "B", at=at(d2)), person=b_person)

    assert participation_count(maria, date(2030, 1, 1)) == 3
    assert participation_count(maria, d2) == 2
    assert participation_count(maria, at(d2, 19)) == 1  # a datetime is exact
    assert participation_count(mario, date(2030, 1, 1)) == 1
    assert participation_count(jose, date(2030, 1, 1)) == 0

    assert participation_by_person(network_a, date(2030, 1, 1), date(2030, 3, 31)) == {
        maria.pk: 3,
        mario.pk: 1,
    }
    # ``until`` as a date includes that whole (local) day; as a datetime it is exclusive
    assert participation_by_person(network_a, date(2030, 1, 1), date(2030, 3, 30)) == {
        maria.pk: 2,
        mario.pk: 1,
    }
    assert participation_by_person(network_a, d2, at(d2, 18)) == {}
    assert participation_by_person(network_a, d2, None) == {maria.pk: 2, mario.pk: 1}
    assert participation_by_person(network_b, date(2030, 1, 1), d3) == {b_person.pk: 1}


# --- other networks -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_network_b_gets_404_on_a_activities(network_a, network_b, coordinator_b, people):
    activity = _activity(network_a, "Reunión secreta de A")
    attendance_check_in(activity=activity, person=people["maria"])
    client = client_for(coordinator_b)
    page = client.post(reverse("people:checkin", kwargs={"pk": activity.pk}), {"q": "mar"})
    assert page.status_code == 404
    assert "María" not in page.content.decode()
    for name in ("checkin_person", "checkin_undo"):
        url = reverse(f"people:{name}", kwargs={"pk": activity.pk})
        assert client.post(url, {"person": people["mario"].pk}).status_code == 404
    # A's person into B's own activity: 404, nothing recorded
    b_activity = _activity(network_b, "Reunión de B")
    url = reverse("people:checkin_person", kwargs={"pk": b_activity.pk})
    assert client.post(url, {"person": people["mario"].pk}).status_code == 404
    # B's search never finds A's people
    b_page = client.post(reverse("people:checkin", kwargs={"pk": b_activity.pk}), {"q": "mar"})
    assert "María" not in b_page.content.decode() and "Mario" not in b_page.content.decode()
    listing = client.get(reverse("people:activities")).content.decode()
    assert "Reunión secreta de A" not in listing
    assert list(Attendance.objects.values_list("person_id", flat=True)) == [people["maria"].pk]
