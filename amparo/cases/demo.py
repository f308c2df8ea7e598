"""Demo seed: the network's 35 cases (DOMAIN.md §1), fiction. Five detained workers from
this morning's Holyoke raid, their clock to counsel running; detentions from past
months at every stage (counsel reached, bond, released, transferred, removed, closed);
workplace-abuse cases (wage theft, sexual harassment, retaliation) and two hate crimes.
Each has a team: the demo's case manager, its attorney, an accompanier."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from amparo.accounts.models import Network, User
from amparo.alerts.facilities import nearest_facility
from amparo.alerts.models import Facility
from amparo.people.models import Person
from amparo.people.services import PersonData, person_upsert
from amparo.reports.models import Incident, IncidentStatus

from .models import Case, CaseEvent, CaseKind, CaseTeamRole
from .services import (
    CaseInput,
    case_counsel_reached,
    case_open,
    case_state_set,
    case_team_add,
    case_transfer,
    state_of,
)

DATA = json.loads((Path(__file__).parent / "demo.json").read_text(encoding="utf-8"))
GIVEN: list[str] = DATA["given"]
FAMILY: list[str] = DATA["family"]
COUNTRIES: list[str] = DATA["countries"]
TEAM: list[tuple[str, str]] = [tuple(member) for member in DATA["team"]]
#: (state slug, days since detention) of the 20 older detentions
DETENTIONS: list[tuple[str, int]] = [tuple(d) for d in DATA["detentions"]]
#: (abuses, employer, amount owed) of the workplace cases
WORKPLACE: list[tuple[list[str], str, str]] = [tuple(w) for w in DATA["workplace"]]


#: the case team's own phones, in an area code the demo's members do not use
TEAM_PHONES = {
    "cases@valle.example": "+13155550131",
    "legal@valle.example": "+13155550132",
    "committee@valle.example": "+13155550133",
    "coordinator@valle.example": "+13155550134",
}


def _reachable(network: Network, users: dict[str, User]) -> None:
    """Give the team's logins a person with a phone, so notices reach the sandbox phone."""
    for email, number in TEAM_PHONES.items():
        user = users.get(email)
        if user is None or Person.objects.filter(network=network, user=user).exists():
            continue
        person, _outcome = person_upsert(
            network=network,
            data=PersonData(
                name=user.display_name,
                phones=[number],
                language=user.language,
                roles=["member"],
                status=Person.Status.ACTIVE,
            ),
            source=Person.Source.IMPORT,
            consent_method="demo (fictional)",
        )
        Person.objects.filter(pk=person.pk).update(user=user)


def _name(i: int) -> tuple[str, str]:
    return GIVEN[i % len(GIVEN)], FAMILY[(i * 7) % len(FAMILY)]


@transaction.atomic
def seed_cases(network: Network) -> int:
    """Seed the 35 cases once (after the reports, alerts and logins); returns how many."""
    if Case.objects.filter(network=network).exists():
        return 0
    users = {u.email: u for u in User.objects.filter(memberships__network=network)}
    team = [(users[email], slug) for email, slug in TEAM if email in users]
    if not team:
        return 0
    coordinator = users.get("coordinator@valle.example") or team[0][0]
    _reachable(network, users)
    roles = {r.slug: r for r in CaseTeamRole.objects.filter(network=network)}
    facilities = list(
        Facility.objects.filter(network=network, kind=Facility.Kind.HOLDING).order_by("pk")
    )
    now = timezone.now()
    made: list[Case] = []

    def staff(case: Case) -> None:
        for user, slug in team:
            case_team_add(case=case, user=user, role=roles[slug], actor=coordinator)

    # This morning's raid: five detained workers, counsel not there yet.
    raid = next(
        (
            i
            for i in Incident.objects.filter(
                network=network,
                status__in=(IncidentStatus.CONFIRMED, IncidentStatus.RESPONDING),
                place__name="Holyoke",
            ).order_by("pk")
        ),
        None,
    )
    if raid is not None:
        nearest = nearest_facility(network, raid.point)
        for i in range(5):
            given, family = _name(i)
            case = case_open(
                network=network,
                actor=coordinator,
                incident=raid,
                data=CaseInput(
                    given_names=given,
                    family_names=family,
                    country_of_birth=COUNTRIES[i % len(COUNTRIES)],
                    a_number=f"2{i:02d}4{i:02d}77{i}" if i % 2 == 0 else "",
                    facility=nearest[0] if nearest else None,
                    detained_at=raid.first_report_at,
                    screening={
                        "sole_caregiver": i in (0, 3),
                        "pregnant_or_nursing": i == 1,
                        "serious_medical": i == 4,
                    },
                ),
            )
            staff(case)
            made.append(case)
    # Older detentions at every stage.
    for n, (slug, days) in enumerate(DETENTIONS):
        given, family = _name(n + 5)
        detained = now - timedelta(days=days, hours=n)
        case = case_open(
            network=network,
            actor=coordinator,
            data=CaseInput(
                given_names=given,
                family_names=family,
                country_of_birth=COUNTRIES[n % len(COUNTRIES)],
                a_number=f"{(n * 7919 + 2025) % 1_000_000_000:09d}",
                facility=facilities[n % len(facilities)] if facilities else None,
                detained_at=detained,
                screening={"sole_caregiver": n % 4 == 0, "serious_medical": n % 7 == 3},
            ),
        )
        staff(case)
        if slug == "detained":  # past the 72 hours: both notices already went out
            Case.objects.filter(pk=case.pk).update(
                team_told_at=detained + timedelta(hours=24),
                coordinator_told_at=detained + timedelta(hours=48),
            )
        else:
            case_counsel_reached(case=case, actor=team[0][0], at=detained + timedelta(hours=20 + n))
        if slug == "transferred" and len(facilities) > 1:
            case_transfer(
                case=case,
                to_facility=facilities[(n + 1) % len(facilities)],
                moved_at=min(detained + timedelta(days=2), timezone.now()),
                actor=team[0][0],
            )
        elif slug not in ("detained", "counsel"):
            case_state_set(case=case, state=state_of(network, slug), actor=team[0][0])
        made.append(case)
    # Workplace abuse and hate crimes.
    hate = {"what": "Insultos y amenazas a la salida del trabajo (ficción)."}
    others = [
        (25 + n, CaseKind.WORKPLACE, {"employer": employer, "abuses": abuses, "amount_owed": owed})
        for n, (abuses, employer, owed) in enumerate(WORKPLACE)
    ] + [(33 + n, CaseKind.HATE_CRIME, dict(hate)) for n in range(2)]
    for number, kind, details in others:
        given, family = _name(number)
        data = CaseInput(kind=kind, given_names=given, family_names=family, details=details)
        case = case_open(network=network, actor=coordinator, data=data)
        staff(case)
        made.append(case)
    # Spread the openings over the past months, as they happened.
    for case in made:
        opened = case.detained_at or now - timedelta(days=10 + case.pk % 50)
        Case.objects.filter(pk=case.pk).update(created_at=opened)
        CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.OPENED).update(at=opened)
    return len(made)
