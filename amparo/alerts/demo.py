"""Demo seed for alerts: fictional facilities (made-up names and coordinates near the demo
towns) and the default escalation policies."""

from __future__ import annotations

from amparo.accounts.models import Network

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
