"""Demo seed for alerts: fictional facilities (made-up names and coordinates near the demo
towns), the default escalation policies, and the legal team: fictional attorneys
(confirmed, active, trained) living near the holding facilities, so that a legal
call-out in the demo reaches at least two attorneys for the nearest facility."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from amparo.accounts.models import Network
from amparo.people.demo import TOWNS
from amparo.people.models import Person
from amparo.people.services import PersonData, person_upsert, place_get_or_create

from .escalation import default_policy_steps
from .models import AlertKind, EscalationPolicy, Facility

#: made-up holding facilities and a field office near the demo towns
DATA = json.loads((Path(__file__).parent / "demo.json").read_text(encoding="utf-8"))
FACILITIES: list[dict[str, object]] = DATA["facilities"]


#: (name, language, other language, town, number): 555-01xx numbers no other demo
#: person holds (the people demo gives area code 401 only 555-0101 … 0120)
ATTORNEYS: list[tuple[str, str, str, str, str]] = [tuple(a) for a in DATA["attorneys"]]


def seed_attorneys(network: Network) -> int:
    """The demo's legal team, three near each holding facility (idempotent); how many created."""
    towns = {name: (lat, lng, zip_code) for name, lat, lng, zip_code in TOWNS}
    today = network.local_today()
    created = 0
    for i, (name, language, other, town, number) in enumerate(ATTORNEYS):
        lat, lng, zip_code = towns[town]
        place = place_get_or_create(
            network=network, name=town, latitude=lat, longitude=lng, postal_code=zip_code
        )
        done = today - timedelta(days=30 + 20 * i)
        _person, outcome = person_upsert(
            network=network,
            data=PersonData(
                name=name,
                phones=[number],
                language=language,
                other_languages=[other] if other else [],
                roles=["attorney", "member"],
                places=[place.pk],
                status=Person.Status.ACTIVE,
                trainings=[("orientation", done), ("kyr", done)],
            ),
            source=Person.Source.IMPORT,
            consent_method="demo (fictional)",
        )
        created += int(outcome == "created")
    return created


def seed_alerts(network: Network) -> int:
    """Facilities and policies for the demo network (idempotent); returns rows created."""
    created = 0
    for data in FACILITIES:
        _, made = Facility.objects.get_or_create(
            network=network, name=data["name"], defaults={k: v for k, v in data.items()}
        )
        created += int(made)
    for kind in (AlertKind.SQUAD, AlertKind.LEGAL):
        _, made = EscalationPolicy.objects.get_or_create(
            network=network, kind=kind, defaults={"steps": default_policy_steps(kind)}
        )
        created += int(made)
    return created
