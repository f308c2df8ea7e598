"""Reports → incidents → verification → (only then) alerts. Every change goes through here.

The rule (DOMAIN.md §2): no alert beyond verifiers for an incident that a verifier
who is not one of its reporters has not confirmed. ``alert_allowed`` /
``require_alert_allowed`` are what the alerts issue must call before launching.
"""

from __future__ import annotations

import logging
import operator
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy

from amparo.accounts.access import Refused
from amparo.accounts.models import Network, User
from amparo.channels.models import InboundMessage
from amparo.hotline.models import Intake
from amparo.lib import geo
from amparo.people.models import Person, PersonPhone, Place

from . import flood
from .models import Cluster, Incident, IncidentEvent, IncidentStatus, Report, Source

log = logging.getLogger(__name__)

S = IncidentStatus
#: Every allowed status change. Anything else raises IncidentTransitionError.
TRANSITIONS: dict[str, set[str]] = {
    S.UNVERIFIED: {S.VERIFYING, S.CONFIRMED, S.FALSE_ALARM, S.UNCONFIRMED, S.CLOSED},
    S.VERIFYING: {S.CONFIRMED, S.FALSE_ALARM, S.UNCONFIRMED, S.CLOSED},
    S.UNCONFIRMED: {S.VERIFYING, S.CONFIRMED, S.FALSE_ALARM, S.CLOSED},
    S.CONFIRMED: {S.RESPONDING, S.CLOSED},
    S.RESPONDING: {S.CLOSED},
    S.FALSE_ALARM: {S.VERIFYING, S.CLOSED},
    S.CLOSED: set(),
}
OPEN_STATUSES = [S.UNVERIFIED, S.VERIFYING, S.UNCONFIRMED, S.CONFIRMED, S.RESPONDING]


class IncidentTransitionError(ValueError):
    pass


class AlertNotAllowed(Refused):
    """An alert beyond verifiers was asked for an incident not independently confirmed."""

    message = gettext_lazy("No alert can go out before a verifier who did not report confirms.")


# --- where a report is ---------------------------------------------------------------


def locate(
    *, point: dict[str, float] | None, place: Place | None
) -> tuple[dict[str, float] | None, str]:
    """(precise point or None, coarse cell) from a chosen point or a town."""
    if point is not None:
        return point, geo.cell_for(point["lat"], point["lng"])
    if place is not None:
        return {"lat": place.latitude, "lng": place.longitude}, place.h3_cell
    return None, ""


# --- who reported an incident ---------------------------------------------------------


def _source_key(report: Report) -> str:
    """Many reports from one phone or one person count once."""
    if report.reporter_person_id:
        return f"person:{report.reporter_person_id}"
    if report.reporter_user_id:
        return f"user:{report.reporter_user_id}"
    if report.reporter_index:
        return f"phone:{report.reporter_index}"
    return f"report:{report.pk}"


def reporter_keys(incident: Incident) -> tuple[set[int], set[int], set[str]]:
    """(person ids, user ids, phone indexes) of everyone who reported this incident."""
    people: set[int] = set()
    users: set[int] = set()
    phones: set[str] = set()
    for person_id, user_id, index in incident.reports.values_list(
        "reporter_person_id", "reporter_user_id", "reporter_index"
    ):
        if person_id:
            people.add(person_id)
        if user_id:
            users.add(user_id)
        if index:
            phones.add(index)
    return people, users, phones


def is_reporter(incident: Incident, person: Person) -> bool:
    """Whether ``person`` reported this incident: as themselves, as their login, or from
    one of their phone numbers."""
    people, users, phones = reporter_keys(incident)
    if person.pk in people or (person.user_id and person.user_id in users):
        return True
    mine = set(PersonPhone.objects.filter(person=person).values_list("number_index", flat=True))
    return bool(mine & phones)


def _strong_key(report: Report) -> str:
    """Sources a stranger cannot mint for free: each known reporter and each texting
    number once; every post of the public form (its number typed by anyone) together
    counts once, so a flood cannot corroborate itself."""
    if report.known or (report.source == Source.SMS and report.reporter_index):
        return _source_key(report)
    return "public"


_KEY_FIELDS = (
    "pk",
    "source",
    "known",
    "received_at",
    "reporter_person_id",
    "reporter_user_id",
    "reporter_index",
)
_COUNTS = ("report_count", "source_count", "strong_sources", "known_reports")


def _stand_ins(reports: QuerySet[Report]) -> list[Report]:
    """Unsaved stand-ins: the keys need only these columns (no decryption, no deferral)."""
    rows = reports.values_list(*_KEY_FIELDS)
    return [Report(**dict(zip(_KEY_FIELDS, row, strict=True))) for row in rows]


# Written out, as every report that joins an incident runs them inside its write
# transaction, where Django compiling the update, the test for a public post and the
# read-back cost ~1 ms of CPU and running them ~0.1 (issue 16). The counts come back
# from the update itself (RETURNING).
_COUNTED_SQL = (
    'UPDATE "{incident}" SET report_count = report_count + 1, '
    "source_count = source_count + %s, strong_sources = strong_sources + {strong}, "
    "known_reports = known_reports + %s, "
    "first_report_at = CASE WHEN first_report_at < %s THEN first_report_at ELSE %s END, "
    "last_report_at = CASE WHEN last_report_at > %s THEN last_report_at ELSE %s END "
    "WHERE id = %s RETURNING id, {counts}, first_report_at, last_report_at"
)
#: the public form's strong source (see _strong_key) is new unless another report has it
_PUBLIC_NEW_SQL = (
    'CASE WHEN EXISTS (SELECT 1 FROM "{report}" WHERE incident_id = %s AND id <> %s '
    "AND NOT known AND NOT (source = %s AND reporter_index IS NOT NULL)) THEN 0 ELSE 1 END"
)


def _count_added(incident: Incident, report: Report) -> None:
    """``report`` joined ``incident``: its counts move on by one, reading only the reports
    that could share its keys (a flood of hundreds into one incident is never re-read)."""
    keys = [
        Q(**{name: getattr(report, name)})
        for name in ("reporter_person_id", "reporter_user_id", "reporter_index")
        if getattr(report, name)
    ]
    # no key (a public post without a number): no other report can share one
    others = incident.reports.exclude(pk=report.pk)
    alike = _stand_ins(others.filter(reduce(operator.or_, keys))) if keys else []
    key, strong = _source_key(report), _strong_key(report)
    if strong == "public":
        strong_sql = _PUBLIC_NEW_SQL.format(report=Report._meta.db_table)
        strong_values: list[Any] = [incident.pk, report.pk, Source.SMS.value]
    else:
        strong_sql, strong_values = "%s", [int(all(_strong_key(r) != strong for r in alike))]
    at = connection.ops.adapt_datetimefield_value(report.received_at)
    sql = _COUNTED_SQL.format(
        incident=Incident._meta.db_table, strong=strong_sql, counts=", ".join(_COUNTS)
    )
    new_source = int(all(_source_key(r) != key for r in alike))
    values = [new_source, *strong_values, int(report.known), at, at, at, at, incident.pk]
    for counted in Incident.objects.raw(sql, values):
        for name in (*_COUNTS, "first_report_at", "last_report_at"):
            setattr(incident, name, getattr(counted, name))


def _recount(incident: Incident) -> None:
    reports = _stand_ins(incident.reports.all())
    incident.report_count = len(reports)
    incident.source_count = len({_source_key(r) for r in reports})
    incident.strong_sources = len({_strong_key(r) for r in reports})
    incident.known_reports = sum(1 for r in reports if r.known)
    if reports:
        incident.first_report_at = min(r.received_at for r in reports)
        incident.last_report_at = max(r.received_at for r in reports)
    incident.save(
        update_fields=[
            "report_count",
            "source_count",
            "strong_sources",
            "known_reports",
            "first_report_at",
            "last_report_at",
        ]
    )


def _event(incident: Incident, kind: str, **fields: Any) -> None:
    IncidentEvent.objects.create(incident=incident, kind=kind, **fields)


# --- reports -----------------------------------------------------------------------------


def merge_candidate(
    *, network: Network, cell: str, point: dict[str, float] | None, at: datetime
) -> Incident | None:
    """The open incident this report most likely describes: near in place and time."""
    if not cell:
        return None
    window = timedelta(minutes=settings.REPORT_MERGE_MINUTES)
    cells = geo.cells_within(*geo_center(cell), settings.REPORT_MERGE_KM) or [cell]
    # Written out: every report asks inside its write transaction, where Django
    # compiling it cost ~0.4 ms of CPU and running it ~0.05 (issue 16).
    adapt = connection.ops.adapt_datetimefield_value
    candidates = Incident.objects.raw(
        f'SELECT * FROM "{Incident._meta.db_table}" WHERE network_id = %s '  # noqa: S608 - the model's table, values bound
        f"AND status IN ({', '.join(['%s'] * len(OPEN_STATUSES))}) "
        f"AND cell IN ({', '.join(['%s'] * len(cells))}) "
        "AND last_report_at >= %s AND first_report_at <= %s "
        "ORDER BY last_report_at DESC LIMIT 20",
        [
            network.pk,
            *(status.value for status in OPEN_STATUSES),
            *cells,
            adapt(at - window),
            adapt(at + window),
        ],
    )
    best: tuple[float, Incident] | None = None
    for incident in candidates:
        distance = 0.0
        if point is not None and incident.point:
            distance = geo.haversine_km(
                point["lat"], point["lng"], incident.point["lat"], incident.point["lng"]
            )
        if distance <= settings.REPORT_MERGE_KM and (best is None or distance < best[0]):
            best = (distance, incident)
    return best[1] if best else None


def geo_center(cell: str) -> tuple[float, float]:
    import h3

    lat, lng = h3.cell_to_latlng(cell)
    return float(lat), float(lng)


@dataclass
class ReportInput:
    details: dict[str, Any]
    language: str = "es"
    point: dict[str, float] | None = None
    place: Place | None = None
    reporter_phone: str = ""  # E.164, only if the person gave it
    reporter_person: Person | None = None
    reporter_user: User | None = None
    low_trust: bool = False
    # The public form's client address, or a texting sender that is not a phone number:
    # only ever hashed (flood.source_tag), never stored.
    source_address: str = ""


@transaction.atomic
def report_submit(
    *,
    network: Network,
    source: str,
    data: ReportInput,
    inbound: InboundMessage | None = None,
    intake: Intake | None = None,
) -> Report:
    """Save a report and attach it to an incident (an existing one near in place and
    time, or a new one). Nobody but the console is told: verification comes first.

    Storage stays bounded (amparo/reports/flood.py): a stranger's source past its
    ``REPORT_SOURCE_ROWS`` (a known texting number past ``REPORT_KNOWN_SOURCE_ROWS``)
    is added to its last report (``report.appended_part`` says
    so, the same report comes back); past the network's ``REPORT_PUBLIC_CAP`` a new
    stranger raises :class:`~amparo.reports.flood.ReportsFull`."""
    now = timezone.now()
    known = flood.reporter_known(network=network, source=source, data=data)
    tag = None
    texted = source == Source.SMS and bool(data.reporter_phone)
    if source in flood.PUBLIC_SOURCES and (not known or texted):
        value = data.source_address
        if source != Source.WEB:
            value = data.reporter_phone or data.source_address
        tag = flood.source_tag(network=network, value=value, now=now) if value else None
        if known:  # a known number: never capped, but its own rows are bounded
            limit = settings.REPORT_KNOWN_SOURCE_ROWS
            last = flood.source_last_over(tag=tag, limit=limit) if tag else None
        else:
            last = flood.source_last_over(tag=tag) if tag else None
            wait = flood.public_cap_wait(network=network, now=now)
            if last is None and wait:
                last = flood.source_last(tag=tag) if tag else None
                if last is None:
                    raise flood.ReportsFull(wait)
        if last is not None:
            last.appended_part = flood.report_append(report=last, details=data.details, now=now)
            return last
    point, cell = locate(point=data.point, place=data.place)
    # the incident first, so the report is saved with it (no second write of the report)
    incident = merge_candidate(network=network, cell=cell, point=point, at=now)
    if incident is None:
        incident = Incident.objects.create(
            network=network,
            point=point,
            cell=cell,
            place=data.place,
            summary=str(data.details.get("activity") or data.details.get("text") or "")[:300],
            first_report_at=now,
            last_report_at=now,
            # its one report, saved just below in this transaction: counted here, so a
            # new incident is neither updated nor read back for it (issue 16)
            report_count=1,
            source_count=1,
            strong_sources=1,
            known_reports=int(known),
        )
        _event(incident, "created", to_status=incident.status)
        new_incident = True
    else:
        new_incident = False
    retention = timedelta(days=settings.REPORT_CONTACT_RETENTION_DAYS)
    report = Report.objects.create(
        network=network,
        incident=incident,
        source=source,
        language=data.language,
        details=data.details,
        point=point,
        cell=cell,
        place=data.place,
        reporter_phone=data.reporter_phone or "",
        reporter_person=data.reporter_person,
        reporter_user=data.reporter_user,
        low_trust=data.low_trust,
        known=known,
        source_tag=tag,
        received_at=now,
        contact_purge_after=now + retention if data.reporter_phone else None,
        inbound=inbound,
        intake=intake,
    )
    if not new_incident:
        _count_added(incident, report)
    _event(incident, "report", note=source)
    return report


def incident_reports_ordered(incident: Incident) -> QuerySet[Report]:
    """An incident's reports, known reporters' first, then trusted ones, then the most
    recent: a genuine report is never buried under a flood that merged into its incident."""
    return Report.objects.filter(incident=incident).order_by(
        "-known", "low_trust", "-received_at", "-id"
    )


def report_move(*, report: Report, to: Incident | None, actor: User | None = None) -> Incident:
    """Split a report out (``to=None``: into a new incident) or move it to another one."""
    with transaction.atomic():
        old = report.incident
        if to is None:
            to = Incident.objects.create(
                network=report.network,
                point=report.point,
                cell=report.cell,
                place=report.place,
                first_report_at=report.received_at,
                last_report_at=report.received_at,
            )
            _event(to, "created", to_status=to.status, actor=actor)
        if to.network_id != report.network_id:
            raise ValueError("an incident of another network")
        report.incident = to
        report.save(update_fields=["incident"])
        _recount(to)
        _event(to, "split" if old else "report", actor=actor)
        if old is not None:
            _recount(old)
            _event(old, "split", actor=actor)
    return to


def incidents_merge(
    *, target: Incident, others: Iterable[Incident], actor: User | None = None
) -> Incident:
    """Merge incidents the dispatcher says are one event (their reports move to ``target``)."""
    with transaction.atomic():
        for other in others:
            if other.pk == target.pk or other.network_id != target.network_id:
                continue
            Report.objects.filter(incident=other).update(incident=target)
            _recount(other)
            _event(target, "merge", actor=actor, note=f"from {other.pk}")
            if other.status not in (S.CLOSED,):
                incident_transition(incident=other, to=S.CLOSED, actor=actor, note="merged")
        _recount(target)
    return target


# --- status ------------------------------------------------------------------------------


def incident_transition(
    *,
    incident: Incident,
    to: str,
    actor: User | None = None,
    person: Person | None = None,
    note: str = "",
    **fields: Any,
) -> Incident:
    """Move an incident to ``to`` if TRANSITIONS allows it (conditional UPDATE: two
    dispatchers racing cannot both move it)."""
    current = incident.status
    if to not in TRANSITIONS.get(current, set()):
        raise IncidentTransitionError(f"{current} → {to} is not allowed")
    if to == S.CONFIRMED:
        if person is None:
            raise IncidentTransitionError("only a verifier can confirm an incident")
        if is_reporter(incident, person):
            raise IncidentTransitionError("a reporter cannot verify their own report")
        fields.update(confirmed_at=timezone.now(), confirmed_by=person)
    now = timezone.now()
    updated = Incident.objects.filter(pk=incident.pk, status=current).update(
        status=to, status_changed_at=now, **fields
    )
    if not updated:
        raise IncidentTransitionError("the incident changed meanwhile; reload it")
    incident.refresh_from_db()
    if to == S.CONFIRMED:  # its reporters' numbers reported truly (a keyed hash each)
        flood.known_reporters_record(incident=incident)
    _event(
        incident,
        "status",
        from_status=current,
        to_status=to,
        actor=actor,
        person=person,
        note=note[:120],
    )
    if to == S.CONFIRMED:  # a confirmed raid starts its playbook
        for hook in settings.INCIDENT_CONFIRMED_HOOKS:
            import_string(hook)(incident=incident, actor=actor)
    if to == S.CLOSED:  # nothing more goes out for a closed (or merged-away) incident
        for hook in settings.INCIDENT_CLOSED_HOOKS:
            import_string(hook)(incident=incident, actor=actor)
    return incident


def incident_public_note(*, incident: Incident, note: str, actor: User | None = None) -> None:
    """A short public note the hotline can read out ("not confirmed at 14:10")."""
    Incident.objects.filter(pk=incident.pk).update(
        public_note=note.strip()[:200], public_note_at=timezone.now()
    )
    _event(incident, "public_note", actor=actor)


def alert_allowed(incident: Incident) -> bool:
    """True only for an incident confirmed by a verifier who is not one of its reporters."""
    incident.refresh_from_db()
    if incident.status not in (S.CONFIRMED, S.RESPONDING) or incident.confirmed_by is None:
        return False
    return not is_reporter(incident, incident.confirmed_by)


def require_alert_allowed(incident: Incident) -> None:
    if not alert_allowed(incident):
        raise AlertNotAllowed


# --- clusters ----------------------------------------------------------------------------


def clusters_detect(*, network: Network, day: Any = None) -> list[Cluster]:
    """Group the day's confirmed incidents at different workplaces within CLUSTER_KM."""
    day = day or network.local_today()
    zone = network.zone()
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()), zone)
    confirmed = list(
        Incident.objects.filter(
            network=network,
            status__in=[S.CONFIRMED, S.RESPONDING, S.CLOSED],
            confirmed_at__isnull=False,
            first_report_at__gte=start,
            first_report_at__lt=start + timedelta(days=1),
        ).order_by("first_report_at")
    )
    groups: list[list[Incident]] = []
    for incident in confirmed:
        if not incident.point:
            continue
        for group in groups:
            if any(
                other.point
                and geo.haversine_km(
                    incident.point["lat"],
                    incident.point["lng"],
                    other.point["lat"],
                    other.point["lng"],
                )
                <= settings.CLUSTER_KM
                for other in group
            ):
                group.append(incident)
                break
        else:
            groups.append([incident])
    clusters = []
    for group in groups:
        workplaces = {i.cell for i in group}
        if len(group) < 2 or len(workplaces) < 2:
            continue
        existing = next((i.cluster for i in group if i.cluster_id), None)
        cluster = existing or Cluster.objects.create(network=network, day=day)
        Incident.objects.filter(pk__in=[i.pk for i in group]).update(cluster=cluster)
        clusters.append(cluster)
    return clusters


def reports_purge_contacts() -> int:
    """Retention: forget reporters' numbers once their purge date has passed (sweeper)."""
    due = Report.objects.filter(contact_purge_after__lte=timezone.now())
    count = 0
    for report in due[:500]:
        report.reporter_phone = ""
        report.reporter_index = None
        report.contact_purge_after = None
        report.save(update_fields=["reporter_phone", "reporter_index", "contact_purge_after"])
        count += 1
    return count
