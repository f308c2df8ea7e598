"""What the dispatcher console shows: incidents ordered so a corroborated report is
never buried under a flood, their coarse place, and today's clusters.

Rows are plain dicts (already translated, no personal data, no exact point) so the
page and its JSON feed render exactly the same thing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Case, Count, Exists, IntegerField, Max, OuterRef, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from amparo.accounts.audit import audit_read
from amparo.accounts.models import Network
from amparo.lib import geo

from .models import Cluster, Incident, IncidentStatus, Report
from .services import OPEN_STATUSES, clusters_detect, geo_center
from .submit import incident_reports_ordered

S = IncidentStatus
#: At most this many rows on the console (the rest are reachable with the filters).
CONSOLE_LIMIT = 200
#: What the console shows by default: everything not closed.
DEFAULT_STATUSES = [*OPEN_STATUSES, S.FALSE_ALARM]
#: Lower is higher on the list.
PRIORITY: dict[str, int] = {
    S.CONFIRMED: 0,
    S.RESPONDING: 0,
    S.VERIFYING: 1,
    # unverified with ≥ 2 independent sources: 2; unverified: 3
    S.UNCONFIRMED: 4,
    S.FALSE_ALARM: 5,
    S.CLOSED: 6,
}


def console_statuses(status: str = "") -> list[str]:
    """The statuses a filter value selects ("" = every status not closed)."""
    if status in S.values:
        return [status]
    return [str(s) for s in DEFAULT_STATUSES]


#: Folded into one group on the console: unverified, nobody known reported it, and no
#: second source a stranger cannot mint (Incident.strong_sources): what a flood makes.
FOLDED = Q(status=S.UNVERIFIED, known_reports=0, strong_sources__lt=2)
#: The folded group's value of the console's ``show`` filter.
SHOW_PUBLIC = "public"
#: How many of the folded incidents the group shows inline (open when there are no more).
FOLD_PREVIEW = 10


def console_incidents(*, network: Network, status: str = "", folded: bool | None = None) -> Any:
    """The console's incidents, best first: status priority (an unverified incident
    corroborated or reported by someone known above one only the public reported), then
    known reports, independent sources, then recency; incidents only low-trust reports
    back go last. ``folded``: only the folded ones (True), none of them (False), all."""
    trusted = Report.objects.filter(incident=OuterRef("pk"), low_trust=False)
    whens = [When(status=s, then=Value(p)) for s, p in PRIORITY.items()]
    qs = Incident.objects.filter(network=network, status__in=console_statuses(status))
    if folded is True:
        qs = qs.filter(FOLDED)
    elif folded is False:
        qs = qs.exclude(FOLDED)
    return (
        qs.select_related("place")
        .defer("summary", "point")
        .annotate(
            trusted=Exists(trusted),
            priority=Case(
                *whens,
                When(status=S.UNVERIFIED, strong_sources__gte=2, then=Value(2)),
                When(status=S.UNVERIFIED, known_reports__gt=0, then=Value(2)),
                default=Value(3),
                output_field=IntegerField(),
            ),
        )
        .order_by(
            "-trusted",
            "priority",
            "-known_reports",
            "-strong_sources",
            "-source_count",
            "-last_report_at",
            "-pk",
        )
    )


def _local(dt: datetime | None, network: Network) -> dict[str, str]:
    if dt is None:
        return {"iso": "", "text": ""}
    local = timezone.localtime(dt, network.zone())
    today = network.local_today()
    text = local.strftime("%H:%M") if local.date() == today else local.strftime("%Y-%m-%d %H:%M")
    return {"iso": local.isoformat(), "text": text}


def verify_request_url(incident: Incident) -> str:
    """The verification flow's "ask verifiers" page."""
    return reverse("reports:verify_request", kwargs={"pk": incident.pk})


def incident_row(incident: Incident, network: Network) -> dict[str, Any]:
    lat = lng = None
    if incident.cell:
        try:
            lat, lng = geo_center(incident.cell)  # the coarse cell, never the exact point
        except (ValueError, TypeError):
            lat = lng = None
    trusted = getattr(incident, "trusted", True)
    return {
        "id": incident.pk,
        "url": reverse("reports:incident", kwargs={"pk": incident.pk}),
        "status": incident.status,
        "status_label": str(incident.get_status_display()),
        "place": incident.place.name if incident.place else "",
        "place_label": incident.place.name if incident.place else _("unknown place"),
        "first": _local(incident.first_report_at, network),
        "last": _local(incident.last_report_at, network),
        "reports": incident.report_count,
        "sources": incident.source_count,
        "reports_label": ngettext("%(n)d report", "%(n)d reports", incident.report_count)
        % {"n": incident.report_count},
        "sources_label": ngettext(
            "%(n)d independent source", "%(n)d independent sources", incident.source_count
        )
        % {"n": incident.source_count},
        "cluster": incident.cluster_id,
        "cluster_label": _("cluster %(n)d") % {"n": incident.cluster_id}
        if incident.cluster_id
        else "",
        "low_trust": not trusted,
        "low_trust_label": _("low trust only") if not trusted else "",
        "public_note": incident.public_note,
        "lat": round(lat, 5) if lat is not None else None,
        "lng": round(lng, 5) if lng is not None else None,
    }


#: The dashboard's incidents: those to send help to, then those waiting for verification.
ACTIVE_STATUSES = {"active": [S.CONFIRMED, S.RESPONDING], "waiting": [S.UNVERIFIED, S.VERIFYING]}


def active_incidents(network: Network, *, limit: int = 10) -> dict[str, list[dict[str, Any]]]:
    """The dashboard's rows (the console's order), by :data:`ACTIVE_STATUSES` key."""
    qs = console_incidents(network=network)
    return {
        key: [incident_row(i, network) for i in qs.filter(status__in=statuses)[:limit]]
        for key, statuses in ACTIVE_STATUSES.items()
    }


#: Where a report's details say the workplace or address: the public form and the hotline
#: ask "where", the demo and older reports say "location" or "workplace".
WORKPLACE_KEYS = ("workplace", "where", "location")


def incident_named(incident: Incident, *, actor: Any) -> dict[str, Any]:
    """What names an incident on the pages that act on it (Respond, the board, the
    timeline): its console row (town, times in the network's zone, status, link back)
    and the workplace its best report gives; reading that sealed report is audited."""
    named = incident_row(incident, incident.network)
    for report in incident_reports_ordered(incident)[:20]:
        details: Any = report.details if isinstance(report.details, dict) else {}
        said = [str(details[k]) for k in WORKPLACE_KEYS if details.get(k)]
        if said:
            named["workplace"] = said[0]
            audit_read(actor=actor, obj=report, network=incident.network, reason="incident named")
            break
    return named


def clusters_refresh(network: Network) -> list[Cluster]:
    """Detect today's clusters (cheap: only today's confirmed incidents)."""
    return clusters_detect(network=network, day=network.local_today())


def clusters_today(network: Network) -> list[dict[str, Any]]:
    """Today's clusters, each with its incidents' towns: "3 confirmed incidents at
    different workplaces"."""
    out = []
    for cluster in Cluster.objects.filter(network=network, day=network.local_today()):
        incidents = list(cluster.incidents.select_related("place").order_by("first_report_at"))
        if not incidents:
            continue
        towns = sorted({i.place.name if i.place else _("unknown place") for i in incidents})
        out.append(
            {
                "id": cluster.pk,
                "label": _("cluster %(n)d") % {"n": cluster.pk},
                "count": len(incidents),
                "text": ngettext(
                    "%(n)d confirmed incident at different workplaces",
                    "%(n)d confirmed incidents at different workplaces",
                    len(incidents),
                )
                % {"n": len(incidents)},
                "towns": ", ".join(towns),
                "incidents": [i.pk for i in incidents],
            }
        )
    return out


def _console_url(*, status: str = "", show: str = "", name: str = "reports:console") -> str:
    query = urlencode({k: v for k, v in (("status", status), ("show", show)) if v})
    return reverse(name) + (f"?{query}" if query else "")


def folded_group(*, network: Network, status: str = "") -> dict[str, Any]:
    """The folded incidents as one group: how many, the newest few, the link that opens
    them all (the console filtered to them)."""
    qs = console_incidents(network=network, status=status, folded=True).order_by(
        "-last_report_at", "-pk"
    )
    preview = [incident_row(i, network) for i in qs[:FOLD_PREVIEW]]
    count = qs.count()
    return {
        "count": count,
        "label": ngettext(
            "%(n)d unconfirmed single report from the public",
            "%(n)d unconfirmed single reports from the public",
            count,
        )
        % {"n": count},
        "rows": preview,
        "open": count <= FOLD_PREVIEW,  # few: shown at once; a flood: folded
        "url": _console_url(status=status, show=SHOW_PUBLIC),
        "url_label": ngettext("Open it", "Open all %(n)d", count) % {"n": count},
    }


def console_data(
    *, network: Network, status: str = "", show: str = "", refresh: bool = True
) -> dict[str, Any]:
    """Everything the console shows, and a version stamp that changes when any of it does.

    By default the incidents a flood cannot make (confirmed, being verified, reported by
    someone known, corroborated) are the list, and the rest fold into one group after
    it; ``show="public"`` lists that group instead, newest first."""
    if refresh:
        clusters_refresh(network)
    public = show == SHOW_PUBLIC
    if public:
        qs = console_incidents(network=network, status=status, folded=True).order_by(
            "-last_report_at", "-pk"
        )
        folded: dict[str, Any] | None = None
    else:
        qs = console_incidents(network=network, status=status, folded=False)
        folded = folded_group(network=network, status=status)
    rows = [incident_row(i, network) for i in qs[:CONSOLE_LIMIT]]
    total = qs.count() if len(rows) >= CONSOLE_LIMIT else len(rows)
    clusters = clusters_today(network)
    since = timezone.now() - timedelta(days=2)
    latest = Report.objects.filter(network=network, received_at__gte=since).aggregate(
        latest=Max("received_at"), n=Max("pk")
    )
    latest_report = latest["n"] or 0
    digest = hashlib.sha256(
        json.dumps([rows, folded, clusters, latest_report], sort_keys=True, default=str).encode()
    ).hexdigest()[:16]
    return {
        "version": digest,
        "latest_report": latest_report,
        "rows": rows,
        "total": total,
        "folded": folded,
        "show": SHOW_PUBLIC if public else "",
        "all_url": _console_url(status=status) if public else "",
        "self_url": _console_url(status=status, show=show if public else ""),
        "feed_url": _console_url(
            status=status, show=show if public else "", name="reports:console_feed"
        ),
        "clusters": clusters,
        "clusters_heading": _("Clusters today") if clusters else "",
        "status": status if status in S.values else "",
    }


def nearby_open_incidents(incident: Incident, *, km: float = 15.0) -> Any:
    """Open incidents of the same network near this one (for "merge with…")."""
    qs = Incident.objects.filter(network_id=incident.network_id, status__in=OPEN_STATUSES).exclude(
        pk=incident.pk
    )
    if incident.cell:
        try:
            lat, lng = geo_center(incident.cell)
            qs = qs.filter(Q(cell__in=geo.cells_within(lat, lng, km)) | Q(cell=""))
        except (ValueError, TypeError):
            pass
    since = incident.first_report_at - timedelta(days=1)
    ids = list(
        qs.filter(last_report_at__gte=since)
        .order_by("-last_report_at")
        .values_list("pk", flat=True)[:50]
    )
    return Incident.objects.filter(pk__in=ids).select_related("place").order_by("-last_report_at")


def merge_target(a: Incident, b: Incident) -> tuple[Incident, Incident]:
    """(target, other): the further-along incident keeps its status; ties go to the older."""

    def rank(i: Incident) -> tuple[int, Any, int]:
        return (PRIORITY.get(i.status, 3), i.first_report_at, i.pk)

    return (a, b) if rank(a) <= rank(b) else (b, a)


def incident_reports(incident: Incident) -> Any:
    """Its reports: not low-trust first, then newest (the one ordering, from submit),
    each with its number of photos."""
    return (
        incident_reports_ordered(incident)
        .select_related("place")
        .annotate(photo_count=Count("photos"))
    )
