"""Demo seed for alerts: fictional facilities (made-up names and coordinates near the demo
towns), the default escalation policies, and the legal team: fictional attorneys
(confirmed, active, trained) living near the holding facilities, so that a legal
call-out in the demo reaches at least two attorneys for the nearest facility."""

from __future__ import annotations

from datetime import timedelta

from amparo.accounts.models import Network
from amparo.people.demo import TOWNS
from amparo.people.models import Person
from amparo.people.services import PersonData, person_upsert, place_get_or_create

from .escalation import default_policy_steps
from .models import AlertKind, EscalationPolicy, Facility

FACILITIES = [
    {
        "kind": Facility.Kind.HOLDING,
        "name": "Fictional ICE Processing Center (demo)",
        "address": "100 Example Industrial Way, Chicopee (fictional)",
        "latitude": 42.1700,
        "longitude": -72.5500,
        "phone": "+14135550190",
        "notes": "Demo entry: not a real facility.",
    },
    {
        "kind": Facility.Kind.HOLDING,
        "name": "Fictional County Detention Annex (demo)",
        "address": "1 Sample Road, Northampton (fictional)",
        "latitude": 42.3400,
        "longitude": -72.6500,
        "phone": "+14135550191",
        "notes": "Demo entry: not a real facility.",
    },
    {
        "kind": Facility.Kind.FIELD_OFFICE,
        "name": "Fictional ICE Field Office (demo)",
        "address": "50 Placeholder Street, Springfield (fictional)",
        "latitude": 42.1050,
        "longitude": -72.5950,
        "phone": "+14135550192",
        "notes": "Demo entry: not a real office.",
    },
]


#: (name, language, other language, town, number): 555-01xx numbers no other demo
#: person holds (the people demo gives area code 401 only 555-0101 … 0120)
ATTORNEYS = [
    ("Alma Robles, abogada (demo)", "es", "en", "Chicopee", "+14015550150"),
    ("Benjamin Hart, attorney (demo)", "en", "es", "Springfield", "+14015550151"),
    ("Carolina Vega, abogada (demo)", "es", "en", "Holyoke", "+14015550152"),
    ("Daniel Okafor, attorney (demo)", "en", "", "Northampton", "+14015550153"),
    ("Elena Torres, abogada (demo)", "es", "en", "Florence", "+14015550154"),
    ("Frank Liu, attorney (demo)", "en", "es", "Hadley", "+14015550155"),
]


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
