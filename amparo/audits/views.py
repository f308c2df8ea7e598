"""Pages for I-9 audits and no-match letters: the dashboard ordered by the next
deadline, an audit's page (notices, workers, the union's steps, state duties) and a
no-match letter's page. Views parse, authorise through the access helpers, call a
service and render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amparo.accounts.access import (
    Refused,
    capability_required,
    has_capability,
    network_queryset,
    request_network,
    request_user,
    visible,
)
from amparo.accounts.roles import Cap
from amparo.cases.models import Case

from . import services
from .access import (
    get_action_for_user,
    get_audit_for_user,
    get_duty_for_user,
    get_letter_for_user,
    get_worker_for_user,
)
from .forms import (
    ActionAddForm,
    ActionSentForm,
    AuditForm,
    NoMatchForm,
    NoticeForm,
    WorkerForm,
    WorkplaceForm,
)
from .models import ErrorRule, NoMatchLetter

#: who may open a case (as the cases' own "new case" page)
CASE_CAPS = (Cap.LEGAL, Cap.CASES_ALL)


@capability_required(Cap.AUDITS)
def dashboard(request: HttpRequest) -> HttpResponse:
    network = request_network(request)
    letters = network_queryset(request, NoMatchLetter).filter(status=NoMatchLetter.Status.OPEN)
    return render(
        request,
        "audits/dashboard.html",
        {
            "audits": services.audits_with_deadlines(network),
            "letters": letters.select_related("employer").order_by("respond_by", "id"),
            "substantive": network_queryset(request, ErrorRule).filter(
                category=ErrorRule.Category.SUBSTANTIVE
            ),
        },
    )


@capability_required(Cap.AUDITS)
def workplace_new(request: HttpRequest) -> HttpResponse:
    network = request_network(request)
    form = WorkplaceForm(request.POST or None, network=network)
    if request.method == "POST" and form.is_valid():
        try:
            services.workplace_create(
                network=network, actor=request_user(request), **form.cleaned_data
            )
        except Refused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("audits:dashboard")
    return render(
        request, "audits/form.html", {"form": form, "title": _("Add a workplace or employer")}
    )


@capability_required(Cap.AUDITS)
def audit_new(request: HttpRequest) -> HttpResponse:
    network = request_network(request)
    form = AuditForm(request.POST or None, network=network)
    if request.method == "POST" and form.is_valid():
        try:
            audit = services.audit_open(
                network=network, actor=request_user(request), **form.cleaned_data
            )
        except Refused as refused:
            form.add_error(None, refused.message)
        else:
            return redirect("audits:audit", pk=audit.pk)
    return render(request, "audits/form.html", {"form": form, "title": _("Open an I-9 audit")})


def _audit_page(request: HttpRequest, audit: services.Audit, **forms: object) -> HttpResponse:
    network = audit.network
    # need-to-know: a worker's case is linked only for whoever may open it
    seen = visible(request, Case, all_cap=Cap.CASES_ALL).filter(i9_workers__audit=audit)
    context = {
        "seen_cases": set(seen.values_list("pk", flat=True)),
        "may_open_cases": has_capability(request, CASE_CAPS),
        "audit": audit,
        "deadlines": services.audit_deadlines(audit, services._today(network)),
        "notices": audit.notices.select_related("kind"),
        "workers": [
            (
                w,
                WorkerForm(
                    initial={"status": w.status, "support": w.details.get("support", [])},
                    prefix=f"w{w.pk}",
                ),
            )
            for w in audit.workers.all()
        ],
        "actions": [
            (a, ActionSentForm(prefix=f"a{a.pk}")) for a in audit.actions.select_related("step")
        ],
        "duties": audit.state_duties.select_related("rule"),
        "substantive": ErrorRule.objects.filter(
            network=network, category=ErrorRule.Category.SUBSTANTIVE
        ),
        "notice_form": forms.get("notice_form") or NoticeForm(network=network),
        "action_form": forms.get("action_form") or ActionAddForm(network=network),
    }
    return render(request, "audits/audit.html", context)


def audit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    audit = get_audit_for_user(request, pk)
    return _audit_page(request, audit)


@require_POST
def notice_add(request: HttpRequest, pk: int) -> HttpResponse:
    audit = get_audit_for_user(request, pk)
    form = NoticeForm(request.POST, network=audit.network)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.notice_add(
                audit=audit,
                kind=data["kind"],
                served_on=data["served_on"],
                date_on_notice=data["date_on_notice"],
                worker_names=data["workers"],
                actor=request_user(request),
            )
        except Refused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Notice recorded."))
            return redirect("audits:audit", pk=audit.pk)
    return _audit_page(request, audit, notice_form=form)


@require_POST
def worker_update(request: HttpRequest, pk: int) -> HttpResponse:
    worker = get_worker_for_user(request, pk)
    form = WorkerForm(request.POST, prefix=f"w{worker.pk}")
    if form.is_valid():
        services.worker_update(worker=worker, actor=request_user(request), **form.cleaned_data)
        messages.success(request, _("Saved."))
    else:
        messages.error(request, _("Choose a status and support from the lists."))
    return redirect("audits:audit", pk=worker.audit_id)


@require_POST
@capability_required(*CASE_CAPS)
def worker_case(request: HttpRequest, pk: int) -> HttpResponse:
    worker = get_worker_for_user(request, pk)
    try:
        case = services.worker_open_case(worker=worker, actor=request_user(request))
    except (Refused, ValidationError):  # a case already, or no name to open it with
        messages.error(request, _("A case is already open for this worker."))
        return redirect("audits:audit", pk=worker.audit_id)
    return redirect("cases:case", pk=case.pk)


@require_POST
def action_add(request: HttpRequest, pk: int) -> HttpResponse:
    audit = get_audit_for_user(request, pk)
    form = ActionAddForm(request.POST, network=audit.network)
    if form.is_valid():
        services.action_add(audit=audit, actor=request_user(request), **form.cleaned_data)
        messages.success(request, _("Step added."))
        return redirect("audits:audit", pk=audit.pk)
    return _audit_page(request, audit, action_form=form)


@require_POST
def action_sent(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_action_for_user(request, pk)
    form = ActionSentForm(request.POST, prefix=f"a{action.pk}")
    if form.is_valid():
        services.action_mark_sent(action=action, actor=request_user(request), **form.cleaned_data)
        messages.success(request, _("Recorded as sent."))
    else:
        messages.error(request, _("Enter the date it was sent and what was sent."))
    return redirect("audits:audit", pk=action.audit_id)


@require_POST
def duty_done(request: HttpRequest, pk: int) -> HttpResponse:
    duty = get_duty_for_user(request, pk)
    services.duty_done(duty=duty, actor=request_user(request))
    messages.success(request, _("Checked off."))
    return redirect("audits:audit", pk=duty.audit_id)


@require_POST
def remind(request: HttpRequest, pk: int) -> HttpResponse:
    audit = get_audit_for_user(request, pk)
    if services.audit_remind_now(audit=audit, actor=request_user(request)):
        messages.success(request, _("The next deadline was texted to the steward."))
    else:
        messages.error(
            request, _("Nothing was texted: no deadline ahead, or the steward has no number.")
        )
    return redirect("audits:audit", pk=audit.pk)


def _letter_form(request: HttpRequest, letter: NoMatchLetter | None) -> HttpResponse:
    network = request_network(request)
    instance = letter or NoMatchLetter(network=network)
    form = NoMatchForm(request.POST or None, instance=instance, network=network)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.nomatch_save(
                letter=form.save(commit=False), actor=request_user(request)
            )
        except Refused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("audits:letter", pk=saved.pk)
    return render(request, "audits/letter.html", {"form": form, "letter": letter})


@capability_required(Cap.AUDITS)
def letter_new(request: HttpRequest) -> HttpResponse:
    return _letter_form(request, None)


def letter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _letter_form(request, get_letter_for_user(request, pk))
