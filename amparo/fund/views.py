"""The fund's pages: for approvers (``fund.approve``) and the treasurer (``fund.ledger``);
"request money" from a case page for whoever may open the case. Approving happens only
here, behind the second factor. A page names who money was for only to a viewer who may
open the case (need-to-know); everyone else sees amounts, kinds and dates."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amparo.accounts.access import (
    capability_required,
    getter,
    has_capability,
    request_network,
    request_user,
    visible,
)
from amparo.accounts.audit import audit_reads
from amparo.accounts.roles import Cap
from amparo.cases.access import get_case_for_user
from amparo.cases.models import Case
from amparo.lib import pdf
from amparo.people.exporting import _csv_bytes
from amparo.twofactor.session import is_verified

from . import services as s
from .forms import BondStateForm, DecideForm, DonationForm, PostedForm, RequestForm, RuleForm
from .models import Account, Entry, FundRequest

FUND = (Cap.FUND_APPROVE, Cap.FUND_LEDGER)
get_request_for_user = getter(
    FundRequest.objects.select_related("case", "bond_state"), capability=FUND
)


def _names(request: HttpRequest, reqs: list[FundRequest]) -> dict[int, str]:
    """{request id: the person's name} for the requests whose case this viewer may open."""
    ids = {r.case_id for r in reqs}
    cases = list(visible(request, Case, all_cap=Cap.CASES_ALL).filter(pk__in=ids))
    if cases:
        audit_reads(
            actor=request_user(request), objs=cases, network=request_network(request), reason="fund"
        )
    names = {c.pk: c.shown_name for c in cases}
    return {r.pk: names[r.case_id] for r in reqs if r.case_id in names}


@capability_required(*FUND)
def fund_home(request: HttpRequest) -> HttpResponse:
    network = request_network(request)
    reqs = list(FundRequest.objects.filter(network=network).select_related("bond_state")[:100])
    names = _names(request, reqs)
    for req in reqs:
        req.shown_for = names.get(req.pk, "")  # type: ignore[attr-defined]
    context = {"fund": s.fund_of(network), "balances": _balances(network), "requests": reqs}
    return render(request, "fund/home.html", context)


def _balances(network: Any, until: date | None = None) -> list[tuple[str, Any]]:
    found = s.balances(network, until=until)
    return [(str(label), abs(found[a])) for a, label in Account.choices]


def request_new(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request, pk)
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            req = s.request_create(case=case, actor=request_user(request), **form.cleaned_data)
        except (s.FundRefused, ValidationError) as exc:
            form.add_error(None, _said(exc))
        else:
            messages.success(request, _("The request was sent to the fund's approvers."))
            if has_capability(request, FUND):
                return redirect("fund:request", pk=req.pk)
            return redirect("cases:case", pk=case.pk)
    return render(request, "fund/request_new.html", {"form": form, "case": case})


def request_view(request: HttpRequest, pk: int) -> HttpResponse:
    req = get_request_for_user(request, pk)
    network = req.network
    return render(
        request,
        "fund/request.html",
        {
            "req": req,
            "name": _names(request, [req]).get(req.pk),
            "check": s.eligibility(req),
            "needed": s.approvals_needed(req),
            "decisions": list(req.decisions.select_related("approver")),
            "entries": list(req.entries.all()),
            "out": s.still_out(req),
            "decide_form": DecideForm(network=network)
            if has_capability(request, Cap.FUND_APPROVE)
            else None,
            "posted_form": PostedForm() if has_capability(request, Cap.FUND_LEDGER) else None,
            "state_form": BondStateForm(network=network)
            if has_capability(request, Cap.FUND_LEDGER)
            else None,
        },
    )


def _said(exc: Exception) -> str:
    return str(getattr(exc, "message", "")) or "; ".join(getattr(exc, "messages", []))


def _refused(request: HttpRequest, exc: Exception) -> None:
    messages.error(request, _said(exc))


@require_POST
def request_decide_view(request: HttpRequest, pk: int) -> HttpResponse:
    req = get_request_for_user(request, pk, capability=Cap.FUND_APPROVE)
    if not is_verified(request):  # money moves only behind the second factor
        raise PermissionDenied
    form = DecideForm(request.POST, network=req.network)
    if form.is_valid():
        try:
            s.request_decide(req=req, approver=request_user(request), **form.cleaned_data)
        except (s.FundRefused, ValidationError) as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("Your decision was recorded."))
    else:
        messages.error(request, _("Choose your word and write the reason."))
    return redirect("fund:request", pk=req.pk)


@require_POST
def bond_view(request: HttpRequest, pk: int) -> HttpResponse:
    req = get_request_for_user(request, pk, capability=Cap.FUND_LEDGER)
    user = request_user(request)
    posted, moved = PostedForm(request.POST), BondStateForm(request.POST, network=req.network)
    try:
        if "receipt" in request.POST and posted.is_valid():
            s.bond_posted(req=req, actor=user, **posted.cleaned_data)
        elif "state" in request.POST and moved.is_valid():
            s.bond_state_set(req=req, actor=user, **moved.cleaned_data)
        else:
            raise ValidationError(_("Fill in the form."))
    except (s.FundRefused, ValidationError) as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Saved."))
    return redirect("fund:request", pk=req.pk)


@capability_required(Cap.FUND_LEDGER)
def donation_new(request: HttpRequest) -> HttpResponse:
    form = DonationForm(request.POST or None, initial={"received_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        s.donation_record(
            network=request_network(request), actor=request_user(request), **form.cleaned_data
        )
        messages.success(request, _("Donation recorded."))
        return redirect("fund:home")
    return render(request, "fund/form.html", {"form": form, "title": _("Record a donation")})


@capability_required(Cap.FUND_APPROVE)
def rule_view(request: HttpRequest) -> HttpResponse:
    fund = s.fund_of(request_network(request))
    form = RuleForm(request.POST or None, instance=fund)
    if request.method == "POST" and form.is_valid():
        s.rule_set(fund=fund, data=form.cleaned_data, actor=request_user(request))
        messages.success(request, _("The fund's rule was saved."))
        return redirect("fund:home")
    return render(request, "fund/form.html", {"form": form, "title": _("The fund's rule")})


@capability_required(*FUND)
def statement(request: HttpRequest) -> HttpResponse:
    """A month's statement (balances, entries) as a page, CSV or PDF (``?format=``)."""
    network = request_network(request)
    try:
        first = date.fromisoformat((request.GET.get("month") or "") + "-01")
    except ValueError:
        first = timezone.localdate().replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    entries = list(
        Entry.objects.filter(network=network, on__range=(first, last)).select_related("request")
    )
    names = _names(request, [e.request for e in entries if e.request])
    rows = [
        (e.on, e.get_kind_display(), e.amount, names.get(e.request_id or 0, "")) for e in entries
    ]
    context: dict[str, Any] = {
        "first": first,
        "rows": rows,
        "opening": _balances(network, first - timedelta(days=1)),
        "closing": _balances(network, last),
        "previous": (first - timedelta(days=1)).strftime("%Y-%m"),
        "month": first.strftime("%Y-%m"),
    }
    kind, name = request.GET.get("format"), f"fund-{context['month']}"
    if kind == "csv":  # every cell escaped against spreadsheet formulas
        head = [_("Date"), _("Kind"), _("Amount"), _("For")]
        return _file(
            _csv_bytes(head, [[str(c) for c in r] for r in rows]), "text/csv", f"{name}.csv"
        )
    if kind == "pdf":
        doc = pdf.paper(title=_("Solidarity fund"), foot=network.name)
        pdf.heading(
            doc, _("Solidarity fund: statement for %(month)s") % {"month": context["month"]}
        )
        for title, pairs in (
            (_("Opening balances"), context["opening"]),
            (_("Closing balances"), context["closing"]),
        ):
            pdf.paragraph(
                doc, f"{title}: " + "; ".join(f"{label} ${amount}" for label, amount in pairs)
            )
        for on, label, amount, who in rows:
            pdf.paragraph(doc, f"{on:%Y-%m-%d}  {label}  ${amount}  {who}")
        return _file(pdf.output(doc), "application/pdf", f"{name}.pdf")
    return render(request, "fund/statement.html", context)


def _file(body: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
