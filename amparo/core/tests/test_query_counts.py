"""Every page that shows a list costs the same number of SQL queries for n rows as for
3n: a query in a loop over the rows (an N+1) fails here. Each test renders its page
with n rows, adds 2n more, renders it again and compares (``count_queries`` in
amparo/conftest.py). Where the two may differ by a constant, the test says why."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amparo.accounts.models import Network, User
from amparo.conftest import client_for, count_queries, make_user
from amparo.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

N = 2
#: the queries a cached people count adds the first time after people changed
COLD_COUNT = 2
_serial = itertools.count(1)


def serial() -> int:
    return next(_serial)


def grows(client: Client, url: str, add: Callable[[int], list[str]]) -> tuple[int, int]:
    """Queries of ``url`` with N rows, then with 3N; each row's marker must be shown."""
    markers = add(N)
    client.get(url)  # what a page does once (a session's first visit) is not counted
    before, _page = count_queries(client, url)
    markers += add(2 * N)
    after, page = count_queries(client, url)
    missing = [m for m in markers if m not in page]
    assert not missing, missing
    return before, after


@pytest.fixture
def coordinator(coordinator_a: User) -> Client:
    return client_for(coordinator_a)


# --- people -----------------------------------------------------------------------------


def _person(network: Network, **kwargs: Any) -> Any:
    n = serial()
    return PersonFactory.create(
        network=network,
        name=f"Persona {n:03d}",
        other_languages=["en"],
        roles=["hotline"],
        phone=f"+1413555{n:04d}",
        **kwargs,
    )


def test_people_list(network_a: Network, coordinator: Client) -> None:
    def add(k: int) -> list[str]:
        return [_person(network_a).name for _ in range(k)]

    before, after = grows(coordinator, reverse("people:list"), add)
    # the first count after people changed (amparo/people/counts.py) reads the buckets'
    # versions and recounts the changed ones: two queries, whatever the number of rows
    assert after == before + COLD_COUNT


def test_person_page_with_trainings_committees_and_phones(
    network_a: Network, coordinator: Client
) -> None:
    from amparo.people.models import Committee, CommitteeMember, PersonPhone, PersonTraining

    person = _person(network_a)
    kind = _training_type(network_a)

    def add(k: int) -> list[str]:
        labels = []
        for _ in range(k):
            n = serial()
            PersonPhone.objects.create(person=person, number=f"+1413555{n:04d}")
            PersonTraining.objects.create(
                person=person,
                training_type=kind,
                completed_on=timezone.localdate() - timedelta(days=n),
            )
            committee = Committee.objects.create(
                network=network_a, slug=f"c{n}", name={"en": f"Comité {n:03d}"}
            )
            CommitteeMember.objects.create(committee=committee, person=person)
            labels.append(f"Comité {n:03d}")
        return labels

    url = reverse("people:detail", kwargs={"pk": person.pk})
    before, after = grows(coordinator, url, add)
    assert after == before


def test_segments(network_a: Network, coordinator: Client) -> None:
    from amparo.people.filters import PeopleFilter
    from amparo.people.models import Segment

    kinds = itertools.cycle(
        [
            {"languages": ["es"]},
            {"roles": ["hotline"]},  # with the trainings the role requires
            {"roles": ["hotline"], "include_unqualified": True, "places": [1]},
            {"participated_days": 30},
        ]
    )

    def add(k: int) -> list[str]:
        names = [f"Segment {serial():03d}" for _ in range(k)]
        for name in names:
            Segment.objects.create(network=network_a, name=name, filters=next(kinds))
            _person(network_a)
        return names

    before, after = grows(coordinator, reverse("people:segments"), add)
    # every segment a change made stale is recounted in one query together
    assert after == before + 1
    # the one query counts each segment as its own filter does
    rows = coordinator.get(reverse("people:segments")).context["rows"]
    assert [r["count"] for r in rows] == [
        PeopleFilter.from_dict(r["segment"].filters).apply(network_a).count() for r in rows
    ]
    assert {r["count"] for r in rows} == {0, 6}


def test_segment_page(network_a: Network, coordinator: Client) -> None:
    from amparo.people.models import Segment

    segment = Segment.objects.create(network=network_a, name="Habla español", filters={})

    def add(k: int) -> list[str]:
        return [_person(network_a).name for _ in range(k)]

    url = reverse("people:segment", kwargs={"pk": segment.pk})
    before, after = grows(coordinator, url, add)
    assert after == before + COLD_COUNT  # as the people list


def test_organizations(network_a: Network, coordinator: Client) -> None:
    from amparo.people.models import Organization, OrganizationMember

    def add(k: int) -> list[str]:
        names = []
        for _ in range(k):
            org = Organization.objects.create(
                network=network_a, kind="church", name=f"Iglesia {serial():03d}"
            )
            OrganizationMember.objects.create(organization=org, person=_person(network_a))
            names.append(org.name)
        return names

    before, after = grows(coordinator, reverse("people:organizations"), add)
    assert after == before


def test_organization_page(network_a: Network, coordinator: Client) -> None:
    from amparo.people.models import Organization, OrganizationMember

    org = Organization.objects.create(network=network_a, kind="church", name="San José")

    def add(k: int) -> list[str]:
        people = [_person(network_a) for _ in range(k)]
        for person in people:
            OrganizationMember.objects.create(organization=org, person=person, role="pastor")
        return [p.name for p in people]

    url = reverse("people:organization", kwargs={"pk": org.pk})
    before, after = grows(coordinator, url, add)
    assert after == before


def test_committees(network_a: Network, coordinator: Client) -> None:
    from amparo.people.models import Committee, CommitteeMember, Task

    def add(k: int) -> list[str]:
        labels = []
        for _ in range(k):
            n = serial()
            committee = Committee.objects.create(
                network=network_a, slug=f"c{n}", name={"en": f"Comité {n:03d}"}
            )
            CommitteeMember.objects.create(committee=committee, person=_person(network_a))
            Task.objects.create(committee=committee, title="Llamar")
            labels.append(f"Comité {n:03d}")
        return labels

    before, after = grows(coordinator, reverse("people:committees"), add)
    assert after == before


def test_committee_page_members_and_board(network_a: Network, coordinator: Client) -> None:
    from amparo.people.models import Committee, CommitteeMember, Task

    committee = Committee.objects.create(network=network_a, slug="food", name={"en": "Food"})

    def add(k: int) -> list[str]:
        markers = []
        for i in range(k):
            person = _person(network_a)
            CommitteeMember.objects.create(committee=committee, person=person, is_chair=i == 0)
            task = Task.objects.create(
                committee=committee, title=f"Tarea {serial():03d}", assignee=person
            )
            Task.objects.create(committee=committee, title=f"Hecha {serial():03d}", status="done")
            markers += [person.name, task.title]
        return markers

    url = reverse("people:committee", kwargs={"pk": committee.pk})
    before, after = grows(coordinator, url, add)
    assert after == before


def _training_type(network: Network) -> Any:
    from amparo.people.models import TrainingType

    return TrainingType.objects.get_or_create(
        network=network, slug="kyr", defaults={"name": {"en": "Know your rights"}}
    )[0]


def test_trainings(network_a: Network, coordinator: Client) -> None:
    from amparo.people.models import TrainingSession, TrainingSignup

    kind = _training_type(network_a)

    def add(k: int) -> list[str]:
        places = []
        for i in range(k):
            place = f"Salón {serial():03d}"
            session = TrainingSession.objects.create(
                network=network_a,
                training_type=kind,
                starts_at=timezone.now() + timedelta(days=1 if i % 2 else -3),
                language="es",
                place=place,
            )
            TrainingSignup.objects.create(session=session, person=_person(network_a))
            places.append(place)
        return places

    before, after = grows(coordinator, reverse("people:trainings"), add)
    assert after == before


def test_training_session_signups(network_a: Network, coordinator: Client) -> None:
    from amparo.people.models import TrainingSession, TrainingSignup

    session = TrainingSession.objects.create(
        network=network_a,
        training_type=_training_type(network_a),
        starts_at=timezone.now() + timedelta(days=1),
        language="es",
    )

    def add(k: int) -> list[str]:
        people = [_person(network_a) for _ in range(k)]
        for person in people:
            TrainingSignup.objects.create(session=session, person=person)
        return [p.name for p in people]

    url = reverse("people:training_session", kwargs={"pk": session.pk})
    before, after = grows(coordinator, url, add)
    assert after == before


def test_activities(network_a: Network, coordinator: Client) -> None:
    from amparo.people.models import Activity, Attendance, Committee

    committee = Committee.objects.create(network=network_a, slug="food", name={"en": "Food"})

    def add(k: int) -> list[str]:
        titles = []
        for _ in range(k):
            activity = Activity.objects.create(
                network=network_a,
                title=f"Reunión {serial():03d}",
                starts_at=timezone.now(),
                committee=committee,
            )
            Attendance.objects.create(activity=activity, person=_person(network_a))
            titles.append(activity.title)
        return titles

    before, after = grows(coordinator, reverse("people:activities"), add)
    assert after == before


def test_checkin_attendance(network_a: Network, coordinator: Client, coordinator_a: User) -> None:
    from amparo.people.models import Activity, Attendance

    activity = Activity.objects.create(
        network=network_a, title="Asamblea", starts_at=timezone.now()
    )

    def add(k: int) -> list[str]:
        people = [_person(network_a) for _ in range(k)]
        for person in people:
            Attendance.objects.create(activity=activity, person=person, checked_in_by=coordinator_a)
        return [p.name for p in people]

    url = reverse("people:checkin", kwargs={"pk": activity.pk})
    before, after = grows(coordinator, url, add)
    assert after == before


def test_import_batches(network_a: Network, coordinator: Client, coordinator_a: User) -> None:
    from amparo.people.models import ImportBatch

    def add(k: int) -> list[str]:
        names = [f"miembros-{serial():03d}.csv" for _ in range(k)]
        for name in names:
            ImportBatch.objects.create(
                network=network_a, created_by=coordinator_a, filename=name, status="preview"
            )
        return names

    before, after = grows(coordinator, reverse("people:import"), add)
    assert after == before


def test_export_requests(network_a: Network, coordinator: Client, coordinator_a: User) -> None:
    from amparo.people.models import ExportRequest, Segment

    other = make_user(network_a, "otra@a.example", ["coordinator"], name="Otra")

    def add(k: int) -> list[str]:
        for i in range(k):
            segment = Segment.objects.create(network=network_a, name=f"S{serial()}", filters={})
            ExportRequest.objects.create(
                network=network_a,
                requested_by=coordinator_a if i % 2 else other,
                kind="people",
                segment=segment,
                expires_at=timezone.now() + timedelta(hours=1),
            )
        return []

    before, after = grows(coordinator, reverse("people:export_requests"), add)
    assert after == before


def test_phone_tree(network_a: Network, coordinator: Client) -> None:
    def add(k: int) -> list[str]:  # the page counts them (names only once approved)
        [_person(network_a) for _ in range(k)]
        return []

    before, after = grows(coordinator, reverse("people:phonetree"), add)
    assert after == before


# --- hotline ----------------------------------------------------------------------------


@pytest.fixture
def me(network_a: Network, coordinator_a: User) -> Any:
    """The coordinator's own person record (a hotline responder who speaks es and en)."""
    return _person(network_a, user=coordinator_a)


def test_calls(network_a: Network, coordinator: Client, me: Any) -> None:
    from amparo.hotline.models import Call

    def add(k: int) -> list[str]:
        for i in range(k):
            Call.objects.create(
                network=network_a,
                provider_sid=f"CA{serial()}",
                from_number="+14135550199",
                answered_by=me if i % 2 else None,
                recording_status="pending" if i % 2 else "none",
            )
        return []

    before, after = grows(coordinator, reverse("hotline:calls"), add)
    assert after == before
    assert coordinator.get(reverse("hotline:calls")).content.decode().count(me.name) == 3


def test_shifts_and_a_shift(network_a: Network, coordinator: Client, me: Any) -> None:
    from amparo.hotline.models import Shift, ShiftAssignment, SwapRequest

    def add(k: int) -> list[str]:
        names = []
        for i in range(k):
            starts = timezone.now() + timedelta(hours=serial())
            shift = Shift.objects.create(
                network=network_a, starts_at=starts, ends_at=starts + timedelta(hours=1)
            )
            person = _person(network_a)
            ShiftAssignment.objects.create(shift=shift, person=person)
            mine = ShiftAssignment.objects.create(shift=shift, person=me, role="backup")
            if i % 2:
                SwapRequest.objects.create(assignment=mine, requested_by=me, code=f"{serial()}")
            names.append(person.name)
        return names

    before, after = grows(coordinator, reverse("hotline:shifts"), add)
    assert after == before

    shift = Shift.objects.create(
        network=network_a, starts_at=timezone.now(), ends_at=timezone.now() + timedelta(hours=2)
    )

    def assign(k: int) -> list[str]:
        people = [_person(network_a) for _ in range(k)]
        for person in people:
            assignment = ShiftAssignment.objects.create(shift=shift, person=person)
            SwapRequest.objects.create(assignment=assignment, requested_by=person, code="1")
        return [p.name for p in people]

    before, after = grows(coordinator, reverse("hotline:shift", kwargs={"pk": shift.pk}), assign)
    assert after == before


def test_my_shifts_and_swaps_i_could_cover(
    network_a: Network, coordinator: Client, me: Any
) -> None:
    from amparo.hotline.models import Shift, ShiftAssignment, SwapRequest

    def add(k: int) -> list[str]:
        for _ in range(k):
            starts = timezone.now() + timedelta(hours=serial())
            ends = starts + timedelta(hours=1)
            mine = Shift.objects.create(network=network_a, starts_at=starts, ends_at=ends)
            ShiftAssignment.objects.create(shift=mine, person=me)
            theirs = Shift.objects.create(network=network_a, starts_at=starts, ends_at=ends)
            other = _person(network_a)
            assignment = ShiftAssignment.objects.create(shift=theirs, person=other)
            SwapRequest.objects.create(assignment=assignment, requested_by=other, code="1")
        return []

    before, after = grows(coordinator, reverse("hotline:mine"), add)
    assert after == before
    page = coordinator.get(reverse("hotline:mine"))
    assert len(page.context["assignments"]) == len(page.context["covers"]) == 3 * N


def test_rotations(network_a: Network, coordinator: Client) -> None:
    from datetime import time

    from amparo.hotline.models import RotationMember, ShiftRotation

    def add(k: int) -> list[str]:
        names = []
        for i in range(k):
            name = f"Turno {serial():03d}"
            rotation = ShiftRotation.objects.create(
                network=network_a, name=name, weekday=i % 7, start_time=time(18), end_time=time(22)
            )
            RotationMember.objects.create(rotation=rotation, person=_person(network_a))
            names.append(name)
        return names

    before, after = grows(coordinator, reverse("hotline:rotations"), add)
    assert after == before


def test_coverage_and_who_is_on_now(network_a: Network, coordinator: Client) -> None:
    from amparo.hotline.models import Shift, ShiftAssignment

    def add(k: int) -> list[str]:
        for _ in range(k):
            now = timezone.now()
            shift = Shift.objects.create(
                network=network_a,
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(hours=serial()),
                languages_required=["es", "en"],
            )
            ShiftAssignment.objects.create(shift=shift, person=_person(network_a))
        return []

    for name in ("hotline:coverage", "hotline:on_now"):
        before, after = grows(coordinator, reverse(name), add)
        assert after == before, name


def test_intakes(network_a: Network, coordinator: Client, coordinator_a: User) -> None:
    from amparo.hotline.models import Intake

    def add(k: int) -> list[str]:
        for _ in range(k):
            Intake.objects.create(network=network_a, situation="detained", responder=coordinator_a)
        return []

    before, after = grows(coordinator, reverse("hotline:intakes"), add)
    assert after == before


def test_conversations_and_a_conversation(network_a: Network, coordinator: Client) -> None:
    from amparo.hotline.models import Conversation, ConversationMessage

    def add(k: int) -> list[str]:
        numbers = []
        for _ in range(k):
            number = f"+1413555{serial():04d}"
            c = Conversation.objects.create(network=network_a, number=number)
            ConversationMessage.objects.create(conversation=c, direction="in", body="Hola")
            numbers.append(number[-4:])
        return numbers

    before, after = grows(coordinator, reverse("hotline:conversations"), add)
    assert after == before

    conversation = Conversation.objects.create(network=network_a, number="+14135550111")

    def messages(k: int) -> list[str]:
        bodies = [f"Mensaje {serial():03d}" for _ in range(k)]
        for i, body in enumerate(bodies):
            ConversationMessage.objects.create(
                conversation=conversation, direction="in" if i % 2 else "out", body=body
            )
        return bodies

    url = reverse("hotline:conversation", kwargs={"pk": conversation.pk})
    before, after = grows(coordinator, url, messages)
    assert after == before


def test_referrals(network_a: Network, coordinator: Client) -> None:
    from amparo.people.models import Organization

    def add(k: int) -> list[str]:
        names = [f"Centro Legal {serial():03d}" for _ in range(k)]
        for name in names:
            Organization.objects.create(network=network_a, kind="legal", name=name)
        return names

    before, after = grows(coordinator, reverse("hotline:referrals"), add)
    assert after == before


# --- reports ----------------------------------------------------------------------------


def _incident(network: Network, **kwargs: Any) -> Any:
    from amparo.reports.models import Incident

    return Incident.objects.create(network=network, **{"status": "unverified", **kwargs})


def test_console_and_its_feed(network_a: Network, coordinator: Client) -> None:
    from amparo.people.services import place_get_or_create

    place = place_get_or_create(network=network_a, name="Holyoke", latitude=42.2, longitude=-72.6)

    def add(k: int) -> list[str]:
        for i in range(k):
            _incident(network_a, place=place if i % 2 else None, report_count=1)
        return []

    for name in ("reports:console", "reports:console_feed"):
        before, after = grows(coordinator, reverse(name), add)
        assert after == before, name


def test_incident_page_with_its_reports(network_a: Network, coordinator: Client) -> None:
    from amparo.reports.models import Report, ReportPhoto
    from amparo.reports.services import ReportInput, report_submit

    incident = _incident(network_a, place=None)

    def add(k: int) -> list[str]:
        markers = []
        for _ in range(k):
            n = serial()
            activity = f"Agentes en la puerta {n:03d}"
            report = report_submit(
                network=network_a,
                source="web",
                data=ReportInput(details={"activity": activity}, reporter_phone=f"+1{n:010d}"),
            )
            Report.objects.filter(pk=report.pk).update(incident=incident)
            ReportPhoto.objects.create(report=report, data="aGk=")
            markers.append(activity)
        return markers

    url = reverse("reports:incident", kwargs={"pk": incident.pk})
    before, after = grows(coordinator, url, add)
    assert after == before
    page = coordinator.get(url).content.decode()
    assert page.count("<dt>Photos</dt><dd>1</dd>") == 3 * N


def test_public_status_page(network_a: Network) -> None:
    def add(k: int) -> list[str]:
        for i in range(k):
            if i % 2:
                _incident(network_a, status="confirmed", confirmed_at=timezone.now())
            else:
                _incident(
                    network_a, status="false_alarm", public_note="no", public_note_at=timezone.now()
                )
        return []

    url = reverse("report_status", kwargs={"network": network_a.slug})
    before, after = grows(Client(), url, add)
    assert after == before


# --- alerts -----------------------------------------------------------------------------


def _alert(network: Network, incident: Any, **kwargs: Any) -> Any:
    from amparo.alerts.models import Alert

    now = timezone.now()
    return Alert.objects.create(
        network=network,
        incident=incident,
        kind=kwargs.pop("kind", "squad"),
        status="sending",
        templates={"es": "Redada", "en": "Raid"},
        launched_at=now,
        expires_at=now + timedelta(hours=2),
        **kwargs,
    )


def _asked(alert: Any, network: Network, *, answered: bool) -> Any:
    from amparo.alerts.models import AlertRecipient
    from amparo.channels.models import Delivery

    person = _person(network)
    recipient = AlertRecipient.objects.create(
        alert=alert,
        person=person,
        status="going" if answered else "pending",
        answered_at=timezone.now() if answered else None,
        eta_minutes=10 if answered else None,
    )
    Delivery.objects.create(
        network=network,
        channel="sandbox",
        to_address="+1",
        body="x",
        alert=alert,
        recipient=recipient,
        status="failed" if answered else "sent",
    )
    return person


def test_board_and_its_feed_with_the_people_asked(network_a: Network, coordinator: Client) -> None:
    incident = _incident(network_a)
    squad, legal = _alert(network_a, incident), _alert(network_a, incident, kind="legal")

    def add(k: int) -> list[str]:  # on both alerts of the incident
        return [
            _asked(a, network_a, answered=i % 2 == 1).name for i in range(k) for a in (squad, legal)
        ]

    url = reverse("alerts:board", kwargs={"incident_pk": incident.pk})
    before, after = grows(coordinator, url, add)
    assert after == before
    url = reverse("alerts:board_feed", kwargs={"incident_pk": incident.pk})
    before, after = grows(coordinator, url, add)
    assert after == before

    def add_squad(k: int) -> list[str]:
        return [_asked(squad, network_a, answered=i % 2 == 1).name for i in range(k)]

    url = reverse("alerts:board", kwargs={"alert_pk": squad.pk})
    before, after = grows(coordinator, url, add_squad)
    assert after == before

    def add_alerts(k: int) -> list[str]:  # more alerts on the incident, each with its people
        alerts = [_alert(network_a, incident, kind=("squad", "legal")[i % 2]) for i in range(k)]
        return [_asked(a, network_a, answered=True).name for a in alerts]

    for name in ("alerts:board", "alerts:board_feed"):
        url = reverse(name, kwargs={"incident_pk": incident.pk})
        before, after = grows(coordinator, url, add_alerts)
        assert after == before, name


def test_timeline(network_a: Network, coordinator: Client) -> None:
    from amparo.alerts.models import EscalationStep

    incident = _incident(network_a)

    def add(k: int) -> list[str]:
        for _ in range(k):
            alert = _alert(network_a, incident)
            _asked(alert, network_a, answered=True)
            _asked(alert, network_a, answered=False)
            EscalationStep.objects.create(
                alert=alert,
                position=1,
                action="widen",
                due_at=timezone.now(),
                done_at=timezone.now(),
                result="asked 3 more",
            )
        return []

    url = reverse("alerts:timeline", kwargs={"incident_pk": incident.pk})
    before, after = grows(coordinator, url, add)
    assert after == before
    page = coordinator.get(url).content.decode()
    assert page.count('class="ev-alert_created"') == page.count('class="ev-escalation"') == 3 * N
    assert page.count('class="ev-answer"') == page.count('class="ev-deliveries"') == 3 * N


def test_drills(network_a: Network, coordinator: Client) -> None:
    def add(k: int) -> list[str]:
        for _ in range(k):
            drill = _alert(network_a, None, is_drill=True)
            _asked(drill, network_a, answered=True)
        return []

    before, after = grows(coordinator, reverse("alerts:drills"), add)
    assert after == before


def test_facilities(network_a: Network, coordinator: Client) -> None:
    from amparo.alerts.models import Facility

    def add(k: int) -> list[str]:
        names = [f"Centro {serial():03d}" for _ in range(k)]
        for name in names:
            Facility.objects.create(network=network_a, name=name, latitude=42.0, longitude=-72.0)
        return names

    before, after = grows(coordinator, reverse("alerts:facilities"), add)
    assert after == before


# --- accounts, sandbox, dashboard --------------------------------------------------------


def test_logins(network_a: Network, coordinator: Client) -> None:
    from amparo.twofactor.models import TOTPDevice

    def add(k: int) -> list[str]:
        names = []
        for i in range(k):
            n = serial()
            user = make_user(
                network_a, f"u{n}@a.example", ["hotline", "verifier"], name=f"U{n:03d}"
            )
            if i % 2:
                TOTPDevice.objects.create(user=user, secret="JBSWY3DPEHPK3PXP", confirmed=True)
            names.append(f"U{n:03d}")
        return names

    before, after = grows(coordinator, reverse("logins:list"), add)
    assert after == before


def test_unusual_reading(network_a: Network, coordinator: Client) -> None:
    from amparo.accounts.audit import audit_reads
    from amparo.people.models import Person

    def add(k: int) -> list[str]:
        for _ in range(k):
            n = serial()
            reader = make_user(network_a, f"r{n}@a.example", ["dispatcher"], name=f"R{n:03d}")
            people = [Person(pk=pk) for pk in range(1, 31)]  # thirty records read
            audit_reads(actor=reader, objs=people, network=network_a, reason="test")
        return []

    url = reverse("audit:unusual_reading") + "?reads=5&minutes=60"
    before, after = grows(coordinator, url, add)
    assert after == before
    assert len(coordinator.get(url).context["readers"]) == 3 * N


def test_dashboard_with_the_audit_log_and_other_networks(
    network_a: Network, coordinator: Client, coordinator_a: User
) -> None:
    from amparo.accounts.services import membership_grant
    from amparo.conftest import make_network

    def add(k: int) -> list[str]:
        names = []
        for _ in range(k):
            n = serial()
            other = make_network(f"net-{n}", f"Red {n:03d}")
            membership_grant(user=coordinator_a, network=other, roles=["coordinator"])
            names.append(f"Red {n:03d}")
        return names

    before, after = grows(coordinator, reverse("dashboard"), add)
    assert after == before


def test_sandbox_phones_and_a_thread(
    network_a: Network, coordinator: Client, settings: Any
) -> None:
    from amparo.channels.sandbox.models import SandboxMessage, SandboxThread

    settings.SANDBOX_ENABLED = True

    def add(k: int) -> list[str]:
        for _ in range(k):
            thread = SandboxThread.objects.create(
                network=network_a, number=f"+1413555{serial():04d}"
            )
            SandboxMessage.objects.create(thread=thread, body="Hola", inbound=None)
        return []

    before, after = grows(coordinator, reverse("sandbox:list"), add)
    assert after == before

    thread = SandboxThread.objects.create(network=network_a, number="+14135550123")

    def messages(k: int) -> list[str]:
        bodies = [f"Mensaje {serial():03d}" for _ in range(k)]
        for body in bodies:
            SandboxMessage.objects.create(thread=thread, body=body)
        return bodies

    url = reverse("sandbox:thread", kwargs={"pk": thread.pk})
    before, after = grows(coordinator, url, messages)
    assert after == before


def test_my_two_step_methods(network_a: Network, coordinator: Client, coordinator_a: User) -> None:
    from amparo.twofactor.models import Passkey, TOTPDevice

    def add(k: int) -> list[str]:
        for _ in range(k):
            n = serial()
            TOTPDevice.objects.create(user=coordinator_a, secret="JBSWY3DPEHPK3PXP", confirmed=True)
            Passkey.objects.create(
                user=coordinator_a,
                credential_id=f"id{n}".encode(),
                credential_id_hash=f"{n:064d}",
                public_key=b"k",
            )
        return []

    before, after = grows(coordinator, reverse("twofactor:manage"), add)
    assert after == before
