"""Hearings: accompaniers asked and signing up by text, reminders the day before and two
hours before in each reader's language across a daylight-saving change, an under-staffed
hearing escalating, the outcome and the next date by a text reply, the calendar feed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from amparo.audits.services import audit_open
from amparo.cases.tests.conftest import member, open_case
from amparo.channels.models import Delivery
from amparo.channels.sandbox.services import sandbox_reply, thread_for
from amparo.conftest import client_for
from amparo.hearings.models import Accompaniment, Hearing, HearingKind, Outcome
from amparo.hearings.reminders import hearings_sweep
from amparo.hearings.services import hearing_add
from amparo.hotline.tests.test_shifts import make_shift
from amparo.people.calendar import feed_token
from amparo.people.models import Organization, Person
from amparo.tests.factories import PersonFactory

NY = ZoneInfo("America/New_York")
# Sunday 1 November 2026, 09:00 in New York: the clocks went back that night at 02:00.
STARTS = datetime(2026, 11, 1, 9, 0, tzinfo=NY).astimezone(UTC)  # real-time arithmetic
ADDED = datetime(2026, 10, 25, 12, 0, tzinfo=NY)
TRAINED = [("orientation", date(2026, 6, 1)), ("court-accompaniment", date(2026, 6, 1))]


def _accompanier(network, phone, language="es", **kw):
    return PersonFactory.create(
        network=network,
        phone=phone,
        language=language,
        roles=["court-accompanier"],
        trainings=TRAINED,
        **kw,
    )


def _hearing(network, actor, **kw):
    case = open_case(network, actor)
    kw.setdefault("wanted", 2)
    return hearing_add(
        case=case,
        kind=HearingKind.MASTER,
        court="Tribunal de Inmigración de Hartford",
        judge="Juez Ficticio",
        starts_at=STARTS,
        actor=actor,
        family_phone="+14135550390",
        language="es",
        **kw,
    )


def _reply(network, number, body):
    return sandbox_reply(thread=thread_for(network=network, number=number), body=body)


def _to(purpose):
    return sorted(
        (d.to_address, d.language, d.body) for d in Delivery.objects.filter(purpose=purpose)
    )


@pytest.mark.django_db
def test_asked_by_text_sign_up_by_reply_and_reminders_across_the_dst_change(network_a, legal_a):
    rosa = _accompanier(network_a, "+14135550381")
    ben = _accompanier(network_a, "+14135550382", language="en")
    PersonFactory.create(network=network_a, phone="+14135550383", roles=["court-accompanier"])
    with time_machine.travel(ADDED, tick=False):
        hearing = _hearing(network_a, legal_a)
        asked = _to("hearing-ask")
        # the untrained third is not asked; each reads their own language; no name
        assert [a[0] for a in asked] == ["+14135550381", "+14135550382"]
        assert f"Responda CORTE {hearing.code}" in asked[0][2] and "Pérez" not in asked[0][2]
        assert f"Reply CORTE {hearing.code}" in asked[1][2]
        received = _reply(network_a, "+14135550381", f"corte {hearing.code}")
        assert received.handled_by == "hearings"
        _reply(network_a, "+14135550382", f"Court {hearing.code}")
    going = Accompaniment.objects.filter(hearing=hearing, status="going")
    assert {a.person_id for a in going} == {rosa.pk, ben.pk} and going[0].via == "text"
    assert "Va a acompañar" in Delivery.objects.filter(purpose="reply").first().body

    # The day before at the same clock time: 09:00 EDT on Saturday is 25 hours earlier.
    saturday = datetime(2026, 10, 31, 9, 0, tzinfo=NY)
    assert STARTS.astimezone(UTC) - saturday.astimezone(UTC) == timedelta(hours=25)
    with time_machine.travel(saturday - timedelta(minutes=1), tick=False):
        assert hearings_sweep() == 0
    with time_machine.travel(saturday, tick=False):
        assert hearings_sweep() == 3
        assert hearings_sweep() == 0  # once
    day = _to("hearing-reminder")
    assert [(to, lang) for to, lang, _b in day] == [
        ("+14135550381", "es"),
        ("+14135550382", "en"),
        ("+14135550390", "es"),
    ]
    assert "dom 1 nov 09:00" in day[0][2].lower() and "Sun 1 Nov 09:00" in day[1][2]
    assert "su audiencia" in day[2][2]  # the family's own words
    with time_machine.travel(STARTS - timedelta(hours=2, minutes=1), tick=False):
        assert hearings_sweep() == 0
    with time_machine.travel(STARTS - timedelta(hours=2), tick=False):
        assert hearings_sweep() == 3
    assert Delivery.objects.filter(purpose="hearing-reminder").count() == 6


@pytest.mark.django_db
def test_an_understaffed_hearing_goes_to_the_coordinator_48_hours_before(network_a, legal_a):
    member(network_a, ["coordinator"], language="en", phone="+14135550399")
    _accompanier(network_a, "+14135550381")
    with time_machine.travel(ADDED, tick=False):
        hearing = _hearing(network_a, legal_a)
        _reply(network_a, "+14135550381", f"CORTE {hearing.code}")
    with time_machine.travel(STARTS - timedelta(hours=48, minutes=1), tick=False):
        hearings_sweep()
    assert _to("hearing-escalation") == []
    with time_machine.travel(STARTS - timedelta(hours=48), tick=False):
        assert hearings_sweep() == 1
        assert hearings_sweep() == 0
    [(to, language, body)] = _to("hearing-escalation")
    assert to == "+14135550399" and language == "en"
    assert "1 of 2 accompaniers" in body and f"case {hearing.case_id}" in body


@pytest.mark.django_db
def test_a_full_hearing_does_not_escalate(network_a, legal_a):
    _accompanier(network_a, "+14135550381")
    member(network_a, ["coordinator"], phone="+14135550399")
    with time_machine.travel(ADDED, tick=False):
        hearing = _hearing(network_a, legal_a, wanted=1)
        _reply(network_a, "+14135550381", f"CORTE {hearing.code}")
    with time_machine.travel(STARTS - timedelta(hours=47), tick=False):
        hearings_sweep()
    assert _to("hearing-escalation") == []


@pytest.mark.django_db
def test_outcome_and_next_date_by_a_text_reply(network_a, legal_a):
    _accompanier(network_a, "+14135550381")
    stranger = PersonFactory.create(network=network_a, phone="+14135550384")
    with time_machine.travel(ADDED, tick=False):
        hearing = _hearing(network_a, legal_a)
        _reply(network_a, "+14135550381", f"CORTE {hearing.code}")
    with time_machine.travel(STARTS + timedelta(hours=3), tick=False):
        assert hearings_sweep() == 1  # asked how it went
        assert f"RESULTADO {hearing.code}" in _to("hearing-outcome")[0][2]
        # someone not going cannot record it
        _reply(network_a, "+14135550384", f"RESULTADO {hearing.code} 2")
        assert Hearing.objects.get(pk=hearing.pk).outcome == ""
        _reply(network_a, "+14135550381", f"Resultado {hearing.code} 1 15/1 10:30")
    hearing.refresh_from_db()
    assert hearing.outcome == Outcome.CONTINUED and hearing.outcome_by.phones.exists()
    assert hearing.outcome_by != stranger
    after = hearing.next_hearing
    assert after is not None and after.case_id == hearing.case_id
    assert after.starts_at == datetime(2027, 1, 15, 10, 30, tzinfo=NY)
    assert after.court == hearing.court and after.code != hearing.code
    assert "15 ene" in Delivery.objects.filter(purpose="reply").latest("id").body.lower()


@pytest.mark.django_db
def test_the_feed_lists_hearings_shifts_and_audit_deadlines(network_a, legal_a, settings):
    settings.CALENDAR_DOMAIN = "red.example.org"
    rosa = PersonFactory.create(
        network=network_a,
        phone="+14135550381",
        roles=["court-accompanier", "hotline"],
        trainings=TRAINED,
    )
    with time_machine.travel(ADDED, tick=False):
        hearing = _hearing(network_a, legal_a)
        _reply(network_a, "+14135550381", f"CORTE {hearing.code}")
        shift = make_shift(network_a, ADDED + timedelta(hours=5), people=[rosa])
        plant = Organization.objects.create(
            network=network_a, kind="workplace", name="Empacadora Ficticia", state="CA"
        )
        audit = audit_open(network=network_a, workplace=plant, served_on=ADDED.date(), steward=rosa)
        response = Client().get(
            reverse("people:calendar", kwargs={"pk": rosa.pk, "token": feed_token(person=rosa)})
        )
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.content)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert f"shift-assignment-{shift.assignments.get().pk}@red.example.org" in events
    event = events[f"hearing-{hearing.pk}@red.example.org"]
    assert event.decoded("DTSTART") == STARTS
    assert "Tribunal" in str(event["LOCATION"]) and "Audiencia" in str(event["SUMMARY"])
    # the I-9 audit's deadlines Rosa follows: the I-9s due in 3 business days, all day
    notice = audit.notices.get()
    deadline = events[f"audit-notice-{notice.pk}@red.example.org"]
    assert deadline.decoded("DTSTART") == notice.due_on == date(2026, 10, 28)
    assert "Plazo de I-9" in str(deadline["SUMMARY"]) and "Empacadora" in str(deadline["SUMMARY"])
    body = response.content.decode()
    assert "Pérez" not in body and "Juan Carlos" not in body and rosa.name not in body


@pytest.mark.django_db
def test_web_sign_up_and_the_outcome_in_two_taps(network_a, legal_a):
    user = member(network_a, ["accompanier"], phone="+14135550385")
    person = Person.objects.get(user=user)
    with time_machine.travel(ADDED, tick=False):
        hearing = _hearing(network_a, legal_a)
        web = client_for(user)
        page = web.get(reverse("hearings:hearing", kwargs={"pk": hearing.pk})).content.decode()
        # no name and no judge for an accompanier: with court and time they would point to who
        assert "Pérez" not in page and "Juez Ficticio" not in page and "Tribunal" in page
        web.post(reverse("hearings:accompany", kwargs={"pk": hearing.pk}), {"go": "1"})
        assert Accompaniment.objects.get(hearing=hearing, person=person).status == "going"
    with time_machine.travel(STARTS + timedelta(hours=1), tick=False):
        web = client_for(user)
        web.post(reverse("hearings:outcome", kwargs={"pk": hearing.pk}), {"outcome": "relief"})
    hearing.refresh_from_db()
    assert hearing.outcome == Outcome.RELIEF and hearing.next_hearing is None


@pytest.mark.django_db
def test_a_login_with_no_person_is_told_why_it_cannot_sign_up(network_a, legal_a):
    from amparo.tests.factories import UserFactory

    user = UserFactory.create(network=network_a, roles=["accompanier"], language="es")
    with time_machine.travel(ADDED, tick=False):
        hearing = _hearing(network_a, legal_a)
        page = client_for(user).get(reverse("hearings:hearing", kwargs={"pk": hearing.pk}))
    body = page.content.decode()
    assert 'id="hearing-unlinked"' in body and "Su cuenta no está vinculada" in body
    assert 'name="go"' not in body


@pytest.mark.django_db
def test_the_demo_month_of_hearings_with_accompaniers(network_a, legal_a):
    from amparo.hearings.demo import seed_hearings

    for n in range(3):
        open_case(network_a, legal_a, given_names=f"Demo {n}")
    _accompanier(network_a, "+14135550381")
    _accompanier(network_a, "+14135550382")
    seed_hearings(network_a)
    seed_hearings(network_a)  # idempotent
    hearings = list(Hearing.objects.filter(network=network_a))
    assert len(hearings) == 3 and len({h.code for h in hearings}) == 3
    now = datetime.now(UTC)
    assert all(now < h.starts_at < now + timedelta(days=31) for h in hearings)
    assert all(h.accompaniments.filter(status="going").exists() for h in hearings)
    assert Delivery.objects.count() == 0  # the demo texts nobody


@pytest.mark.django_db
def test_demo_hearings_fall_on_business_days(network_a, legal_a):
    """Courts sit on weekdays: seeded on a Friday, the demo's "in two days" is no Sunday."""
    from amparo.hearings.demo import seed_hearings
    from amparo.lib.businessdays import is_business_day

    for n in range(6):
        open_case(network_a, legal_a, given_names=f"Demo {n}")
    _accompanier(network_a, "+14135550381")
    with time_machine.travel(datetime(2026, 12, 4, 12, 0, tzinfo=NY), tick=False):
        seed_hearings(network_a)
    days = [h.starts_at.astimezone(NY).date() for h in Hearing.objects.filter(network=network_a)]
    assert len(days) == 6 and all(is_business_day(d) for d in days), days


@pytest.mark.django_db
def test_two_outcomes_at_once_make_one_next_hearing(network_a, legal_a):
    """Two accompaniers answer together (a text and the web, each with the row it read):
    the next hearing, and its invitations, are made once."""
    from amparo.hearings.services import hearing_outcome

    with time_machine.travel(ADDED, tick=False):
        hearing = _hearing(network_a, legal_a)
    first, second = Hearing.objects.get(pk=hearing.pk), Hearing.objects.get(pk=hearing.pk)
    with time_machine.travel(STARTS + timedelta(hours=3), tick=False):
        for row, day in ((first, 15), (second, 16)):
            hearing_outcome(
                hearing=row,
                outcome=Outcome.CONTINUED,
                next_at=datetime(2027, 1, day, 10, 30, tzinfo=NY),
                person=None,
            )
    assert Hearing.objects.filter(case=hearing.case).count() == 2
    hearing.refresh_from_db()
    assert hearing.next_hearing.starts_at == datetime(2027, 1, 15, 10, 30, tzinfo=NY)


@pytest.mark.django_db
def test_a_login_turned_off_loses_its_calendar_feed(network_a, legal_a):
    """The feed needs no login: a member whose membership ended (or was suspended for
    unusual reading) kept receiving the time, court and code of their cases' hearings."""
    from amparo.accounts.models import Membership
    from amparo.accounts.services import membership_deactivate

    user = member(network_a, ["legal"], phone="+14135550386")
    person = Person.objects.get(user=user)
    with time_machine.travel(ADDED, tick=False):
        case = open_case(network_a, legal_a, team=[(user, "accompanier")])
        hearing_add(
            case=case, kind=HearingKind.MASTER, court="Tribunal de Hartford", starts_at=STARTS,
            actor=legal_a, language="es",
        )  # fmt: skip
        url = reverse(
            "people:calendar", kwargs={"pk": person.pk, "token": feed_token(person=person)}
        )
        assert "Hartford" in Client().get(url).content.decode()
        membership_deactivate(
            membership=Membership.objects.get(user=user, network=network_a), by=legal_a
        )
        assert Client().get(url).status_code == 404
