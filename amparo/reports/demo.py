"""Demo seed: this morning's reports (fiction). One real raid at a Holyoke plant (three
reports from two phones, confirmed by a demo verifier who reported nothing), two false
alarms with public notes, and two more confirmed incidents at other workplaces the same
day (Springfield, Chicopee) so clusters_detect finds one cluster."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from amparo.accounts.models import Network
from amparo.people.filters import may_be_alerted_as
from amparo.people.models import Person, Place

from .models import Incident, IncidentStatus, Report
from .services import (
    ReportInput,
    clusters_detect,
    incident_public_note,
    incident_transition,
    is_reporter,
    report_submit,
)

S = IncidentStatus

# (key, town, minutes ago, reporter phone, language, details)
REPORTS: list[tuple[str, str, int, str, str, dict[str, Any]]] = [
    ("raid", "Holyoke", 150, "+14135550161", "es", {
        "activity": "Agentes en la entrada de la planta empacadora, revisando a la gente",
        "size": "8-10",
        "location": "Planta empacadora en la calle Canal (ficticia)",
        "uniform": "Chalecos que dicen ICE / HSI",
        "time": "07:40",
        "equipment": "3 camionetas blancas sin placas",
    }),
    ("raid", "Holyoke", 140, "+14135550161", "es",
     {"activity": "Siguen ahí, cerraron la puerta de atrás", "size": "10"}),
    ("raid", "Holyoke", 135, "+14135550162", "en",
     {"activity": "Agents at the packing plant gate, workers being lined up",
      "uniform": "ICE vests", "equipment": "White vans"}),
    ("false1", "Northampton", 120, "+14135550163", "en",
     {"activity": "Police cars near the bus station, maybe ICE?", "size": "2"}),
    ("false2", "Amherst", 100, "+14135550164", "es",
     {"activity": "Camioneta negra frente a los apartamentos", "uniform": "No se ve"}),
    ("springfield", "Springfield", 90, "+14135550165", "es",
     {"activity": "Agentes entraron al almacén de distribución", "size": "6", "uniform": "ICE"}),
    ("chicopee", "Chicopee", 60, "+14135550166", "es",
     {"activity": "Redada en la fábrica de muebles", "size": "5", "uniform": "HSI"}),
]  # fmt: skip
FALSE_ALARM_NOTES = {
    "false1": "Not confirmed at {time}: a traffic stop, not ICE. / No confirmado a las {time}.",
    "false2": "Not confirmed at {time}: a delivery van. / No confirmado a las {time}.",
}
CONFIRMED = ["raid", "springfield", "chicopee"]


def _when(now: datetime, minutes_ago: int, network: Network) -> datetime:
    """``minutes_ago`` before now, but never before today's local midnight (clusters
    are per day), and in the same order at any hour."""
    zone = network.zone()
    midnight = timezone.make_aware(
        datetime.combine(timezone.localtime(now, zone).date(), datetime.min.time()), zone
    )
    after_midnight = timedelta(seconds=max(r[2] for r in REPORTS) - minutes_ago)  # oldest first
    return max(now - timedelta(minutes=minutes_ago), midnight + after_midnight)


def _verifier(network: Network, incidents: list[Incident]) -> Person | None:
    for person in may_be_alerted_as(network, ["verifier"]).order_by("pk")[:50]:
        if not any(is_reporter(i, person) for i in incidents):
            return person
    return None


@transaction.atomic
def seed_reports(network: Network) -> int:
    """Seed this morning's reports once (after seed_people); returns how many it created."""
    if Report.objects.filter(network=network).exists():
        return 0
    places = {p.name: p for p in Place.objects.filter(network=network)}
    now = timezone.now()
    incidents: dict[str, Incident] = {}
    created = 0
    for key, town, minutes_ago, phone, language, details in REPORTS:
        report = report_submit(
            network=network,
            source="web",
            data=ReportInput(
                details=details,
                language=language,
                place=places.get(town),
                reporter_phone=phone,
            ),
        )
        at = _when(now, minutes_ago, network)
        Report.objects.filter(pk=report.pk).update(received_at=at)
        if report.incident is not None:
            incidents.setdefault(key, report.incident)
        created += 1
    for incident in incidents.values():
        times = list(incident.reports.values_list("received_at", flat=True))
        Incident.objects.filter(pk=incident.pk).update(
            first_report_at=min(times), last_report_at=max(times), created_at=min(times)
        )
        incident.refresh_from_db()
    verifier = _verifier(network, list(incidents.values()))
    zone = network.zone()
    for key in CONFIRMED:
        incident = incidents[key]
        if verifier is None:
            break
        incident = incident_transition(incident=incident, to=S.VERIFYING, note="demo")
        incident_transition(incident=incident, to=S.CONFIRMED, person=verifier, note="demo")
    if verifier is not None:
        responding = incidents["raid"]
        responding.refresh_from_db()
        incident_transition(incident=responding, to=S.RESPONDING, note="demo")
    for key, note in FALSE_ALARM_NOTES.items():
        incident = incidents[key]
        incident = incident_transition(incident=incident, to=S.VERIFYING, note="demo")
        incident_transition(incident=incident, to=S.FALSE_ALARM, note="demo")
        hhmm = timezone.localtime(timezone.now(), zone).strftime("%H:%M")
        incident_public_note(incident=incident, note=note.format(time=hhmm))
    clusters_detect(network=network, day=network.local_today())
    return created
