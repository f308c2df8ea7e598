"""The two-person rule for bulk exports of people (CSV, XLSX, the phone tree).

A list of the network's people is the prize an infiltrator wants, so one account is
never enough to take it away:

1. a holder of ``Cap.MEMBERS_EXPORT`` *requests* an export: the filter (roles,
   languages, towns… never a typed name: refused) or the phone tree's settings, and
   the number of people it holds, are saved in an :class:`ExportRequest`;
2. a *different* holder of ``Cap.MEMBERS_EXPORT`` in the same network approves or
   refuses it, seeing the number of people and the filter, never a name;
3. the requester downloads it once, within ``DOWNLOAD_VALID`` of the approval.

A request nobody decides on expires after ``REQUEST_VALID``. Every state change is a
conditional UPDATE (``filter(status=…, expires_at__gt=now).update(…) == 1``): of two
approvals, or two downloads, at the same moment exactly one wins. Every step is
audited with the number of people, never a name or the filter's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.access import Refused, has_capability, members_with_capability
from amparo.accounts.audit import audit_record
from amparo.accounts.logins import roles_with_capability
from amparo.accounts.models import AuditEvent, Membership, Network, User
from amparo.accounts.roles import Cap

from .antiabuse import rate_hit
from .export_files import export_file_queue, export_is_background
from .exporting import export_count
from .filters import PeopleFilter
from .models import Committee, ExportRequest, Person, PersonRole, Place, Segment, TrainingType
from .phonetree import MAX_PER_CALLER, language_name, reachable_people
from .services import people_with_capability
from .texting import people_text

REQUEST_VALID = timedelta(hours=24)
DOWNLOAD_VALID = timedelta(hours=24)
PHONE_TREE_OUTPUTS = ("page", "pdf")


class ExportRequestError(Refused):
    """The request cannot do that now; ``message`` is translated, for the person."""


def _holds_export(user: User | Any, network: Network) -> bool:
    return bool(members_with_capability(network, Cap.MEMBERS_EXPORT, user=user))


def export_approvers(network: Network, actor: User | Any) -> list[Membership]:
    """The others who could approve ``actor``'s request now (active logins)."""
    others = members_with_capability(network, Cap.MEMBERS_EXPORT)
    return [m for m in others if m.user_id != getattr(actor, "pk", None)]


def approving_roles() -> str:
    """The names of the roles that can approve an export, for the page and refusals."""
    return ", ".join(role.label for role in roles_with_capability(Cap.MEMBERS_EXPORT))


def approval_context(request: HttpRequest, network: Any) -> dict[str, Any]:
    """Who will approve a request asked for on this page (a count and the roles), and
    whether this person can add the missing login on the Logins page."""
    return {
        "approvers": len(export_approvers(network, request.user)),
        "approving_roles": approving_roles(),
        "can_add_logins": has_capability(request, Cap.NETWORK_MANAGE),
    }


def _audit(
    request: ExportRequest, actor: User | Any, note: str, fields: list[str], *, action: str
) -> None:
    audit_record(
        action=action,
        actor=actor,
        obj=request,
        fields=fields,
        note=f"{note} {request.kind} count={request.count}",
    )


# --- request ------------------------------------------------------------------------------


def export_request_create(
    *,
    network: Network,
    actor: User | Any,
    kind: str,
    people_filter: PeopleFilter | None = None,
    segment: Segment | None = None,
    per_caller: int | None = None,
    output: str = "pdf",
    reason: str = "",
) -> ExportRequest:
    """Ask for an export. A filter with a name in it is refused (ExportRequestError):
    the view drops the name first and says so. So is a request nobody else could approve."""
    if kind not in ExportRequest.Kind.values:
        raise ExportRequestError(_("Choose a file format."))
    if not _holds_export(actor, network):
        raise ExportRequestError(_("You cannot export the network's people."))
    if not export_approvers(network, actor):
        raise ExportRequestError(
            _(
                "Nobody else can approve this export yet, so it was not requested. It needs "
                "a second active login with one of these roles: %(roles)s."
            )
            % {"roles": approving_roles()}
        )
    if segment is not None and segment.network_id != network.pk:
        raise ExportRequestError(_("This segment belongs to another network."))
    options: dict[str, Any] = {}
    filters: dict[str, Any] = {}
    if kind == ExportRequest.Kind.PHONE_TREE:
        if per_caller is None or not 1 <= per_caller <= MAX_PER_CALLER:
            raise ExportRequestError(_("Say how many people each person calls."))
        if output not in PHONE_TREE_OUTPUTS:
            raise ExportRequestError(_("Choose the page or the printable PDF."))
        options = {"per_caller": per_caller, "output": output}
        count = reachable_people(network).count()
        segment = None
    else:
        people_filter = people_filter or PeopleFilter()
        if people_filter.q.strip():
            raise ExportRequestError(
                _("A name cannot be part of an export. Use the filters (roles, languages, towns…).")
            )
        filters = people_filter.to_dict(include_name=False)
        count = export_count(network=network, people_filter=people_filter)
    request = ExportRequest.objects.create(
        network=network,
        requested_by=actor,
        kind=kind,
        filters=filters,
        options=options,
        segment=segment,
        count=count,
        reason=reason.strip(),
        expires_at=timezone.now() + REQUEST_VALID,
    )
    _audit(
        request, actor, "requested", ["kind", "filters", "options"], action=AuditEvent.Action.CREATE
    )
    _tell_approvers(request)
    return request


def _tell_approvers(request: ExportRequest) -> int:
    """Text the others who may approve (the count and a link, never a name): at most
    ``EXPORT_WAITING_TEXTS`` per approver and window (rate_hit), so that requests cannot
    flood their phones; their home page shows every request waiting."""
    link = settings.BASE_URL + reverse("people:export_requests")
    values = {"count": request.count, "link": link}
    approvers = people_with_capability(request.network, Cap.MEMBERS_EXPORT)
    return people_text(
        [
            p
            for p in approvers
            if p.user_id != request.requested_by_id
            and not rate_hit(
                scope="export-waiting",
                value=f"{request.network_id}\x00{p.pk}",
                limits=[settings.EXPORT_WAITING_TEXTS],
            )
        ],
        lambda: (
            _(
                "Amparo: an export of %(count)s people waits for a second person to approve it. "
                "%(link)s"
            )
            % values
        ),
        "export-waiting",
    )


def export_request_filter(request: ExportRequest) -> PeopleFilter:
    """The stored filter, never with a name (even if a row was edited by hand)."""
    people_filter = PeopleFilter.from_dict(request.filters)
    people_filter.q = ""
    return people_filter


# --- decide --------------------------------------------------------------------------------


def export_request_decide(
    *, request: ExportRequest, actor: User | Any, approve: bool
) -> ExportRequest:
    """Approve or refuse. The approver is a different person holding Cap.MEMBERS_EXPORT
    in the request's network; of two decisions at once exactly one is taken."""
    if actor is None or actor.pk == request.requested_by_id:
        raise ExportRequestError(_("A different person must approve this export."))
    if not _holds_export(actor, request.network):
        raise ExportRequestError(_("Only someone who can export people can decide on this."))
    now = timezone.now()
    changes: dict[str, Any] = {
        "status": ExportRequest.Status.APPROVED if approve else ExportRequest.Status.REFUSED,
        "decided_by": actor,
        "decided_at": now,
    }
    if approve:
        changes["expires_at"] = now + DOWNLOAD_VALID
    won = (
        ExportRequest.objects.filter(
            pk=request.pk, status=ExportRequest.Status.PENDING, expires_at__gt=now
        )
        .exclude(requested_by=actor)
        .update(**changes)
    )
    request.refresh_from_db()
    if not won:
        if request.status == ExportRequest.Status.PENDING:
            raise ExportRequestError(
                _("This request has expired. Ask again if it is still needed.")
            )
        raise ExportRequestError(_("Someone has already decided on this request."))
    _audit(
        request,
        actor,
        "approved" if approve else "refused",
        ["status"],
        action=AuditEvent.Action.UPDATE,
    )
    if approve and export_is_background(request):
        export_file_queue(request)  # the worker makes the file while the requester waits
    return request


# --- download ------------------------------------------------------------------------------


def export_request_claim(*, request: ExportRequest, actor: User | Any) -> ExportRequest:
    """Spend the approval: only the requester, only once, only before it expires. The
    caller then makes the file (``export_request_done`` records how many people it
    held). Of two downloads at once exactly one gets here."""
    if actor is None or actor.pk != request.requested_by_id:
        raise ExportRequestError(_("Only the person who asked for this export can download it."))
    now = timezone.now()
    won = ExportRequest.objects.filter(
        pk=request.pk,
        status=ExportRequest.Status.APPROVED,
        requested_by=actor,
        expires_at__gt=now,
        file_state__in=[ExportRequest.FileState.NONE, ExportRequest.FileState.READY],
    ).update(status=ExportRequest.Status.DOWNLOADED, downloaded_at=now)
    request.refresh_from_db()
    if not won:
        if request.status == ExportRequest.Status.APPROVED and not request.is_expired(now):
            if request.file_state == ExportRequest.FileState.FAILED:
                raise ExportRequestError(
                    _("This export could not be prepared. Ask again if it is still needed.")
                )
            raise ExportRequestError(
                _("This export is still being prepared. You can download it when it is ready.")
            )
        if request.status == ExportRequest.Status.DOWNLOADED:
            raise ExportRequestError(
                _("This export was downloaded already. Ask again if you need it once more.")
            )
        if request.status == ExportRequest.Status.PENDING and not request.is_expired(now):
            raise ExportRequestError(_("This export is still waiting for a second person."))
        if request.status == ExportRequest.Status.REFUSED:
            raise ExportRequestError(_("This export was refused."))
        raise ExportRequestError(_("This request has expired. Ask again if it is still needed."))
    return request


def export_request_done(*, request: ExportRequest, actor: User | Any, rows: int) -> None:
    ExportRequest.objects.filter(pk=request.pk).update(rows=rows)
    request.rows = rows
    audit_record(
        action=AuditEvent.Action.UPDATE,
        actor=actor,
        obj=request,
        fields=["status"],
        note=f"downloaded {request.kind} rows={rows}",
    )


# --- lists ---------------------------------------------------------------------------------


def export_requests_waiting(*, network: Network, user: User | Any) -> QuerySet[ExportRequest]:
    """Requests ``user`` could decide on now: other people's, pending, not expired."""
    return (
        ExportRequest.objects.filter(
            network=network,
            status=ExportRequest.Status.PENDING,
            expires_at__gt=timezone.now(),
        )
        .exclude(requested_by=user)
        .order_by("created_at", "id")
    )


# --- what the approver sees --------------------------------------------------------------


@dataclass(frozen=True)
class FilterLine:
    label: str
    value: str


def _labels(qs: Any, slugs: list[str]) -> str:
    found = {obj.slug: obj.label for obj in qs.filter(slug__in=slugs)}
    return ", ".join(str(found.get(slug, slug)) for slug in slugs)


def export_request_summary(request: ExportRequest) -> list[FilterLine]:
    """The filter in words (roles, languages, towns…), for the approver: never a name."""
    network = request.network
    if request.kind == ExportRequest.Kind.PHONE_TREE:
        output = request.options.get("output", "pdf")
        return [
            FilterLine(_("Who"), _("Everyone who can be reached by phone")),
            FilterLine(
                _("Most people each person calls"), str(request.options.get("per_caller", ""))
            ),
            FilterLine(
                _("Form"),
                _("A page in the browser") if output == "page" else _("A printable PDF"),
            ),
        ]
    f = export_request_filter(request)
    lines: list[FilterLine] = []
    if request.segment is not None:
        lines.append(FilterLine(_("Segment"), request.segment.name))
    if f.roles:
        lines.append(
            FilterLine(_("Roles"), _labels(PersonRole.objects.filter(network=network), f.roles))
        )
        if f.include_unqualified:
            lines.append(FilterLine(_("Trainings"), _("also people without the role's training")))
    if f.languages:
        lines.append(
            FilterLine(_("Languages"), ", ".join(str(language_name(c)) for c in f.languages))
        )
    if f.places:
        names = Place.objects.filter(network=network, pk__in=f.places).values_list(
            "name", flat=True
        )
        lines.append(FilterLine(_("Towns or ZIP codes"), ", ".join(sorted(names))))
    if f.trained:
        trained = _labels(TrainingType.objects.filter(network=network), f.trained)
        if f.trained_within_days:
            trained = _("%(trainings)s, in the last %(days)s days") % {
                "trainings": trained,
                "days": f.trained_within_days,
            }
        lines.append(FilterLine(_("Trained in"), trained))
    if f.committees:
        lines.append(
            FilterLine(
                _("Committees"), _labels(Committee.objects.filter(network=network), f.committees)
            )
        )
    if f.available_now is not None:
        lines.append(FilterLine(_("Available now"), _("yes") if f.available_now else _("no")))
    if f.statuses:
        labels = dict(Person.Status.choices)
        lines.append(FilterLine(_("Status"), ", ".join(str(labels.get(s, s)) for s in f.statuses)))
    if f.participated_days:
        lines.append(
            FilterLine(
                _("Took part"),
                _("at least %(times)s times in the last %(days)s days")
                % {"times": f.participated_min, "days": f.participated_days},
            )
        )
    if not lines:
        lines.append(
            FilterLine(
                _("Who"), _("Everyone in the network except people who are inactive or removed.")
            )
        )
    return lines


def download_hours() -> int:
    return int(DOWNLOAD_VALID.total_seconds() // 3600)
