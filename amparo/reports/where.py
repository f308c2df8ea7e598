"""Where an incident is, for the people sent there (DOMAIN.md §2: 10–12 minutes to the scene).

Two views of one place, kept apart on purpose (docs/threat-model.md, "What a text may
carry"):

- ``incident_text_where`` — the line every text about an incident carries: a workplace
  name and the town made safe by ``amparo.lib.textsafe.text_where`` (never an address
  number, a phone number, an A-number, a link or the report's words);
- ``incident_place`` — what the link pages show (behind the link's token or a login,
  and only while the request or the alert is open): the meeting point a dispatcher set,
  the workplace and address the reporter typed, the town, map links, and for a verifier
  the report's own words (shown escaped, marked as unverified) and a callback number
  the reporter asked for.

``incident_meeting_point_set`` is the dispatcher's write (audited, encrypted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, User
from amparo.lib.geo import map_links
from amparo.lib.textsafe import text_where
from amparo.people.models import Place

from .models import Incident, Report, Source
from .services import _event, incident_reports_ordered

#: the report's keys that name the place (the public form's "where"; older or
#: imported reports used "workplace" and "location")
WHERE_KEYS = ("where", "workplace", "location")
#: the report's keys in the reporter's own words
WORDS_KEYS = ("activity", "text")
#: sources where giving a number means "call me back" (the web form's optional callback
#: field, the hotline's "a number to call back"); a text's sender did not ask for a call
CALLBACK_SOURCES = (Source.WEB, Source.HOTLINE)
MEETING_POINT_MAX = 160
#: how many reports a link page reads (the newest trusted ones first)
REPORTS_READ = 5


def incident_town(incident: Incident) -> str:
    """The town's name: the incident's own place, or the town of its coarse cell."""
    if incident.place_id and incident.place is not None:
        return incident.place.name
    if incident.cell:
        place = Place.objects.filter(
            network_id=incident.network_id, h3_cell=incident.cell, kind=Place.Kind.TOWN
        ).first()
        return place.name if place else ""
    return ""


def _reports(incident: Incident) -> list[Report]:
    return list(incident_reports_ordered(incident)[:REPORTS_READ])


def _where_of(report: Report) -> str:
    details: Any = report.details or {}
    if not isinstance(details, dict):
        return ""
    for key in WHERE_KEYS:
        value = str(details.get(key) or "").strip()
        if value:
            return value
    return ""


def incident_workplace(incident: Incident, reports: list[Report] | None = None) -> str:
    """The workplace and address as a reporter typed it (the newest trusted report
    that says), for the link pages only — raw text, always shown escaped."""
    for report in _reports(incident) if reports is None else reports:
        where = _where_of(report)
        if where:
            return where
    return ""


def incident_text_where(incident: Incident) -> str:
    """The "where" of every text about this incident: "<workplace name>, <town>" made
    safe (see amparo.lib.textsafe); "" when nothing safe is known."""
    return text_where(workplace=incident_workplace(incident), town=incident_town(incident))


def _precise_point(incident: Incident, reports: list[Report]) -> dict[str, float] | None:
    """A point someone actually chose (a report's own point, not its town's centre)."""
    for report in reports:
        point = report.point
        if not point:
            continue
        place = report.place
        if place is not None and (
            round(float(point["lat"]), 5) == round(place.latitude, 5)
            and round(float(point["lng"]), 5) == round(place.longitude, 5)
        ):
            continue
        return {"lat": float(point["lat"]), "lng": float(point["lng"])}
    return None


def callback_numbers(reports: list[Report]) -> list[str]:
    """Numbers the reporters asked to be called back on (never a text sender's number),
    until their retention ends."""
    now = timezone.now()
    numbers: list[str] = []
    for report in reports:
        if report.source not in CALLBACK_SOURCES or not report.reporter_phone:
            continue
        if report.contact_purge_after is not None and report.contact_purge_after <= now:
            continue
        if report.reporter_phone not in numbers:
            numbers.append(report.reporter_phone)
    return numbers


@dataclass
class PlaceView:
    """What a link page shows about where to go (each part may be empty)."""

    town: str = ""
    workplace: str = ""
    meeting_point: str = ""
    #: {"geo": …, "osm": …} for the meeting point, else the reporter's point, else
    #: the typed address searched in the town, else the town's centre
    map: dict[str, str] = field(default_factory=dict)
    #: the public's own words, newest trusted first (verifiers only)
    words: list[str] = field(default_factory=list)
    callbacks: list[str] = field(default_factory=list)


def incident_place(incident: Incident, *, for_verifier: bool = False) -> PlaceView:
    """Everything a link page shows about where (call only while it may be shown)."""
    reports = _reports(incident)
    view = PlaceView(
        town=incident_town(incident),
        workplace=incident_workplace(incident, reports),
        meeting_point=incident.meeting_point or "",
    )
    point = incident.meeting_point_point or _precise_point(incident, reports)
    search = view.meeting_point or view.workplace
    if point:
        view.map = map_links(lat=point["lat"], lng=point["lng"])
    elif search:
        view.map = map_links(query=", ".join(p for p in (search, view.town) if p))
    elif incident.point:
        view.map = map_links(lat=incident.point["lat"], lng=incident.point["lng"])
    if for_verifier:
        for report in reports:
            details: Any = report.details or {}
            if isinstance(details, dict):
                view.words += [str(details[k]) for k in WORDS_KEYS if details.get(k)]
        view.callbacks = callback_numbers(reports)
    return view


def parse_point(text: str) -> dict[str, float] | None:
    """ "42.2043, -72.6162" → {"lat": …, "lng": …}; None when empty; ValueError if not a
    point on Earth."""
    text = (text or "").strip()
    if not text:
        return None
    for prefix in ("geo:",):
        if text.lower().startswith(prefix):
            text = text[len(prefix) :].split("?")[0]
    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
    if len(parts) != 2:
        raise ValueError("two numbers")
    lat, lng = float(parts[0]), float(parts[1])
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ValueError("out of range")
    return {"lat": round(lat, 6), "lng": round(lng, 6)}


def incident_meeting_point_set(
    *,
    incident: Incident,
    text: str,
    point: dict[str, float] | None = None,
    actor: User | None = None,
) -> Incident:
    """Set, correct or clear (empty) where responders meet; audited, never its value."""
    text = " ".join((text or "").split())[:MEETING_POINT_MAX]
    with transaction.atomic():
        changed = []
        if text != (incident.meeting_point or ""):
            changed.append("meeting_point")
        if point != incident.meeting_point_point:
            changed.append("meeting_point_point")
        if not changed:
            return incident
        incident.meeting_point = text or None
        incident.meeting_point_point = point
        incident.save(update_fields=["meeting_point", "meeting_point_point"])
        audit_record(
            action=AuditEvent.Action.UPDATE,
            actor=actor,
            network=incident.network,
            obj=incident,
            fields=changed,
            note="meeting point cleared" if not text and not point else "meeting point",
        )
        _event(incident, "meeting_point", actor=actor)
    return incident
