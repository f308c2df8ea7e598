from __future__ import annotations

from datetime import timedelta
from typing import cast

from django.contrib.auth.decorators import login_not_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from amparo.accounts.access import has_capability
from amparo.accounts.audit import audit_reads
from amparo.accounts.middleware import SESSION_NETWORK
from amparo.accounts.models import AuditEvent, Membership, Network, User
from amparo.accounts.roles import Cap
from amparo.accounts.services import user_set_language
from amparo.cases.access import cases_on_my_team
from amparo.cases.clock import hours_left
from amparo.cases.handoff import handoffs_waiting
from amparo.channels.models import Delivery
from amparo.hotline.calls import hotline_figures
from amparo.people import events, record
from amparo.people.export_requests import export_requests_waiting
from amparo.people.identity import request_person
from amparo.people.models import Activity, Rsvp
from amparo.people.views import pipeline_counts
from amparo.reports.console import active_incidents
from amparo.reports.verification import waiting_for

from .share import coordinator_cards


@login_not_required
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """A trivial view for load balancers (and the benchmark's baseline)."""
    return JsonResponse({"ok": True})


#: events listed on a member's dashboard
COMING_UP = 5


def coming_up(request: HttpRequest, network: Network) -> list[tuple[Activity, Rsvp | None]]:
    """The next events with the signed-in member's own answer (members linked to a
    person record may answer here)."""
    person = request_person(request)
    if person is None:
        return []
    mine = events.rsvps_of(person)
    return [(a, mine.get(a.pk)) for a in events.upcoming(network)[:COMING_UP]]


def dashboard(request: HttpRequest) -> HttpResponse:
    network = getattr(request, "network", None)
    context: dict[str, object] = {}
    if network is not None:
        membership = request.membership  # type: ignore[attr-defined]
        context["roles"] = list(membership.roles.all())
        if has_capability(request, Cap.MEMBERS_VIEW):
            context["member_count"] = Membership.objects.filter(
                network=network, is_active=True
            ).count()
            context["pipeline"] = pipeline_counts(network)
        if has_capability(request, Cap.HOTLINE):
            context["hotline"] = hotline_figures(
                network=network, since=timezone.now() - timedelta(days=7)
            )
        if has_capability(request, Cap.DISPATCH):
            context["incidents"] = active_incidents(network)
            since = timezone.now() - timedelta(hours=24)
            counts = dict(
                Delivery.objects.filter(network=network, created_at__gte=since)
                .values_list("status")
                .annotate(n=Count("id"))
                .values_list("status", "n")
            )
            context["delivery_counts"] = [
                (label, counts.get(value, 0)) for value, label in Delivery.Status.choices
            ]
        if has_capability(request, Cap.MEMBERS_EXPORT):
            context["exports_waiting"] = export_requests_waiting(
                network=network, user=request.user
            ).count()
        if has_capability(request, Cap.VERIFY):
            context["verify_waiting"] = list(waiting_for(request_person(request)))
        if has_capability(request, (Cap.LEGAL, Cap.CASES_ALL)):
            now = timezone.now()
            mine = cases_on_my_team(cast(User, request.user), network)
            context["my_cases"] = [(case, hours_left(case, now)) for case in mine]
            if mine:  # the screening flags shown are sealed: audited
                audit_reads(
                    actor=cast(User, request.user), objs=mine, network=network, reason="home"
                )
            context["handoffs_waiting"] = handoffs_waiting(network)
        if has_capability(request, Cap.AUDIT_VIEW):
            context["audit_events"] = list(
                AuditEvent.objects.filter(network=network).select_related(None)[:10]
            )
        context["coming_up"] = coming_up(request, network)
        languages = [translation.get_language()[:2]]
        context["decisions"] = [
            (d, record.decision_texts(d, languages)[0]) for d in record.current_decisions(network)
        ]
        if has_capability(request, Cap.NETWORK_MANAGE):
            context["enforcement"] = record.enforcement_alerts(network)
            context.update(coordinator_cards(network))
        context["other_memberships"] = list(
            Membership.objects.filter(user=cast(User, request.user), is_active=True)
            .exclude(network=network)
            .select_related("network")
        )
    return render(request, "core/dashboard.html", context)


@login_not_required
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language (no login needed); remember it for a logged-in user."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated:
        user_set_language(user=cast(User, request.user), language=language)
    return response


@require_POST
def switch_network(request: HttpRequest) -> HttpResponse:
    try:
        wanted = int(request.POST.get("network", ""))
    except ValueError:
        wanted = 0
    user = cast(User, request.user)
    if Membership.objects.filter(user=user, network_id=wanted, is_active=True).exists():
        request.session[SESSION_NETWORK] = wanted
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)
