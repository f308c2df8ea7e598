"""The demo network's people at the scale of DOMAIN.md §1 — all fictional.

~2,000 members, ~800 rapid responders, ~40 hotline responders, 20 congregations,
the worker committee and seven subcommittees, trainings with history, and
participation over the last months. Phone numbers are 555-01xx in many area codes
(the range reserved for fiction); emails use .example. Deterministic (one seed),
written with bulk inserts so the demo starts in seconds. ``settings.DEMO_SCALE``
(0–1) shrinks it for tests.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from amparo.accounts.models import Network, User
from amparo.lib import geo

from .counts import people_changed
from .events import event_invite
from .models import (
    Activity,
    Attendance,
    Committee,
    CommitteeMember,
    CoverageCell,
    Organization,
    OrganizationMember,
    Person,
    PersonArea,
    PersonPhone,
    PersonRole,
    PersonTraining,
    Task,
    TrainingSession,
    TrainingSignup,
    TrainingType,
)
from .reach import reach_refresh
from .services import place_get_or_create

#: the towns (name, latitude, longitude, ZIP code), area codes, names, congregations,
#: other organizations and tasks the demo draws from: data, kept in demo.json beside this
DATA = json.loads((Path(__file__).parent / "demo.json").read_text(encoding="utf-8"))
TOWNS: list[tuple[str, float, float, str]] = [tuple(town) for town in DATA["towns"]]
AREA_CODES: list[str] = DATA["area_codes"]
FIRST_ES: list[str] = DATA["first_es"]
LAST_ES: list[str] = DATA["last_es"]
FIRST_EN: list[str] = DATA["first_en"]
LAST_EN: list[str] = DATA["last_en"]
CONGREGATIONS: list[str] = DATA["congregations"]
OTHER_ORGS: list[tuple[str, str]] = [tuple(org) for org in DATA["other_orgs"]]
TASKS: list[str] = DATA["tasks"]


def _phone(index: int) -> str:
    """555-0101 … 555-0199 in each area code (555-0100 is the demo hotline's own)."""
    area = AREA_CODES[index // 99 % len(AREA_CODES)]
    return f"+1{area}55501{index % 99 + 1:02d}"


#: roles that come with their training (a court accompanier can then be asked to a hearing)
TRAINED_ROLES = {
    "rapid-responder": "rapid-responder",
    "hotline": "hotline",
    "verifier": "verifier",
    "legal-observer": "legal-observer",
    "court-accompanier": "court-accompaniment",
}


@transaction.atomic
def seed_people(network: Network, *, committee_chair: User | None = None) -> int:
    """Seed the network's people once; returns how many persons it created."""
    if Person.objects.filter(network=network).exists():
        return 0
    rng = random.Random(20261121)  # noqa: S311 - fiction, not security
    scale = settings.DEMO_SCALE
    people = _persons_create(network, rng, max(40, int(2000 * scale)))
    _persons_detail(network, rng, people, n_hotline=max(4, int(40 * scale)))
    _groups_create(network, rng, people, committee_chair)
    _calendar_create(network, rng, people)
    return len(people)


def _persons_create(network: Network, rng: random.Random, total: int) -> list[Person]:
    now = timezone.now()
    statuses = ["active"] * 14 + ["trained", "oriented", "confirmed", "signed_up", "inactive"]
    people = []
    for i in range(total):
        spanish = rng.random() < 0.7
        first = rng.choice(FIRST_ES if spanish else FIRST_EN)
        last = rng.choice(LAST_ES if spanish else LAST_EN)
        if rng.random() < 0.3:
            last += " " + rng.choice(LAST_ES)
        person = Person(
            network=network,
            name=f"{first} {last}",
            email=f"persona{i}@valle.example" if rng.random() < 0.45 else "",
            status=rng.choice(statuses),
            source="import",
            consent_at=now - timedelta(days=rng.randint(1, 700)),
            consent_method="paper form",
            available_now=rng.random() < 0.15,
            channel_order=["sms", "voice", "email"] if rng.random() < 0.8 else ["voice", "sms"],
        )
        others = (
            ["en"] if spanish and rng.random() < 0.35 else (["es"] if rng.random() < 0.2 else [])
        )
        person.set_languages("es" if spanish else "en", others)
        people.append(person)
    Person.objects.bulk_create(people, batch_size=500)
    return list(Person.objects.filter(network=network).order_by("pk"))


def _persons_detail(
    network: Network, rng: random.Random, people: list[Person], *, n_hotline: int
) -> None:
    """Each person's phone, home towns (with their coverage), roles (40% rapid
    responders) and trainings."""
    n_rapid = int(len(people) * 0.4)
    places = [
        place_get_or_create(network=network, name=n, latitude=la, longitude=lo, postal_code=z)
        for n, la, lo, z in TOWNS
    ]
    cells = {p.pk: geo.cells_within(p.latitude, p.longitude, 5.0) for p in places}
    roles = {r.slug: r for r in PersonRole.objects.filter(network=network)}
    types = {t.slug: t for t in TrainingType.objects.filter(network=network)}
    today = timezone.localdate()
    phones, areas, coverage, role_links, trainings = [], [], [], [], []
    role_through = Person.roles.through
    for i, person in enumerate(people):
        phones.append(PersonPhone(person=person, number=_phone(i), is_primary=True))
        covered: set[str] = set()
        for place in rng.sample(places, k=rng.choice([1, 1, 2])):
            areas.append(PersonArea(person=person, place=place, cell=place.h3_cell))
            covered.update(cells[place.pk])
        coverage += [CoverageCell(network=network, person=person, cell=c) for c in covered]
        held = ["member"]
        if i < n_rapid:
            held.append("rapid-responder")
        if i < n_hotline:
            held.append("hotline")
        if i % 25 == 0:
            held.append("verifier")
        if i % 17 == 0:
            held.append(rng.choice(["driver", "court-accompanier", "childcare", "interpreter"]))
        if i % 90 == 0:
            held.append("legal-observer")
        role_links += [role_through(person=person, personrole=roles[s]) for s in held if s in roles]
        done = {"orientation", *(t for r, t in TRAINED_ROLES.items() if r in held)}
        if rng.random() < 0.5:
            done.add("kyr")
        for slug in sorted(done):
            completed = today - timedelta(days=rng.randint(10, 600))
            trainings.append(
                PersonTraining(
                    person=person,
                    training_type=types[slug],
                    completed_on=completed,
                    expires_on=types[slug].expires_on(completed),
                )
            )
    PersonPhone.objects.bulk_create(phones, batch_size=500)
    reach_refresh(p.pk for p in people)
    PersonArea.objects.bulk_create(areas, batch_size=500)
    CoverageCell.objects.bulk_create(coverage, batch_size=1000)
    role_through.objects.bulk_create(role_links, batch_size=1000)
    PersonTraining.objects.bulk_create(trainings, batch_size=1000)
    people_changed(network_id=network.pk, person_ids=[p.pk for p in people])


def _groups_create(
    network: Network, rng: random.Random, people: list[Person], chair: User | None
) -> None:
    """Organizations with a contact each; committee members; the solidarity committee's
    chair (the demo's committee login) and tasks."""
    orgs = [
        Organization(network=network, kind="congregation", name=f"{n} (demo)")
        for n in CONGREGATIONS
    ]
    orgs += [Organization(network=network, kind=k, name=n) for k, n in OTHER_ORGS]
    Organization.objects.bulk_create(orgs)
    OrganizationMember.objects.bulk_create(
        [
            OrganizationMember(organization=org, person=rng.choice(people), role="contact")
            for org in Organization.objects.filter(network=network)
        ],
        ignore_conflicts=True,
    )
    committees = list(Committee.objects.filter(network=network))
    members = []
    for committee in committees:
        chosen = rng.sample(people, k=min(len(people), rng.randint(5, 12)))
        members += [
            CommitteeMember(committee=committee, person=p, is_chair=(j == 0))
            for j, p in enumerate(chosen)
        ]
    CommitteeMember.objects.bulk_create(members)
    solidarity = next((c for c in committees if c.slug == "solidarity"), None)
    if solidarity is None:
        return
    crew = [m.person for m in members if m.committee_id == solidarity.pk]
    if chair is not None:
        Person.objects.filter(pk=crew[0].pk).update(user=chair)
    today = timezone.localdate()
    for j, title in enumerate(TASKS):
        Task.objects.create(
            committee=solidarity,
            title=title,
            assignee=crew[j % len(crew)],
            due_date=today + timedelta(days=j * 3 + 2),
            status=["todo", "doing", "done"][j % 3],
        )


def _calendar_create(network: Network, rng: random.Random, people: list[Person]) -> None:
    """Four orientations to come, a past rapid-responder training the first 40 attended,
    and 24 weekly meetings, events and actions with 15 to 60 people checked in each."""
    now, today = timezone.now(), timezone.localdate()
    types = {t.slug: t for t in TrainingType.objects.filter(network=network)}

    def at(day: int, hour: int) -> datetime:
        return timezone.make_aware(datetime.combine(today + timedelta(days=day), time(hour, 0)))

    for j, language in enumerate(["es", "en", "es", "es"]):
        TrainingSession.objects.create(
            network=network,
            training_type=types["orientation"],
            starts_at=at(7 * (j + 1), 18),
            place="Centro de Trabajadores, 20 Main St (demo)",
            language=language,
            capacity=40,
        )
    past = TrainingSession.objects.create(
        network=network,
        training_type=types["rapid-responder"],
        starts_at=at(-20, 10),
        place="Iglesia San José (demo)",
        language="es",
        capacity=60,
    )
    TrainingSignup.objects.bulk_create(
        [
            TrainingSignup(session=past, person=p, status="attended", attended_at=past.starts_at)
            for p in people[:40]
        ]
    )
    committees = list(Committee.objects.filter(network=network))
    activities = []
    for k in range(24):
        committee = rng.choice(committees)
        activities.append(
            Activity(
                network=network,
                kind=["meeting", "event", "action"][k % 3],
                title=f"{committee.label} — {['assembly', 'vigil', 'training day'][k % 3]}",
                starts_at=now - timedelta(days=7 * k + 2),
                committee=committee,
            )
        )
    Activity.objects.bulk_create(activities)
    attendance = []
    for activity in Activity.objects.filter(network=network):
        for p in rng.sample(people, k=min(len(people), rng.randint(15, 60))):
            attendance.append(
                Attendance(activity=activity, person=p, checked_in_at=activity.starts_at)
            )
    Attendance.objects.bulk_create(attendance, batch_size=1000)
    assembly = Activity.objects.create(  # to come, so an RSVP by text can be tried
        network=network,
        kind="event",
        title="Asamblea general de la red / Network assembly (demo)",
        starts_at=at(9, 18),
        place="Centro de Trabajadores, 20 Main St (demo)",
        capacity=80,
    )
    event_invite(activity=assembly, people=people[:5])


def volunteer_login_link(network: Network, user: User, role: str = "") -> None:
    """Link a demo volunteer login to a person of the network (once), giving that person
    ``role`` and its training fresh, so the login can be tried as that volunteer."""
    if Person.objects.filter(network=network, user=user).exists():
        return
    person = Person.objects.filter(network=network, user__isnull=True, status="active")
    chosen = person.order_by("-pk").first()
    if chosen is None:
        return
    Person.objects.filter(pk=chosen.pk).update(user=user)
    if role:
        chosen.roles.add(PersonRole.objects.get(network=network, slug=role))
        kind = TrainingType.objects.get(network=network, slug=TRAINED_ROLES[role])
        done = timezone.localdate() - timedelta(days=30)
        PersonTraining.objects.filter(person=chosen, training_type=kind).delete()
        PersonTraining.objects.create(
            person=chosen, training_type=kind, completed_on=done, expires_on=kind.expires_on(done)
        )
    people_changed(network_id=network.pk, person_ids=[chosen.pk])
