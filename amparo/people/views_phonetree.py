"""The phone tree (Cap.MEMBERS_EXPORT): every name and number of the network, so it goes
through the two-person rule (export_requests.py). This page asks for it; once a second
person approved, the requester opens the page or downloads the printable PDF once
(``phone_tree_response``, called by the export download view). Every opening is audited.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from amparo.accounts.access import capability_required, request_network
from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent
from amparo.accounts.roles import Cap

from .export_requests import ExportRequestError, approval_context, export_request_create
from .forms_import import ExportReasonForm
from .models import ExportRequest
from .participation import network_zone
from .phonetree import (
    DEFAULT_PER_CALLER,
    MAX_PER_CALLER,
    how_to_read,
    phone_tree_build,
    phone_tree_open,
    phone_tree_pdf,
    reachable_people,
)


class PhoneTreeForm(ExportReasonForm):
    per_caller = forms.IntegerField(
        label=_("Most people each person calls"),
        min_value=1,
        max_value=MAX_PER_CALLER,
        initial=DEFAULT_PER_CALLER,
        error_messages={
            "required": _("Say how many people each person calls."),
            "invalid": _("Write a whole number."),
            "min_value": _("Each person calls at least %(limit_value)s."),
            "max_value": _("Nobody can make more than %(limit_value)s calls in an emergency."),
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    output = forms.ChoiceField(
        label=_("Form"),
        choices=[
            ("pdf", _("A printable PDF")),
            ("page", _("A page in the browser")),
        ],
        initial="pdf",
        widget=forms.RadioSelect(attrs={"style": "width:auto"}),
        error_messages={"required": _("Choose the page or the printable PDF.")},
    )


def _audit(request: HttpRequest, kind: str, count: int, per_caller: int) -> None:
    audit_record(
        action=AuditEvent.Action.EXPORT,
        actor=request.user,
        network=request_network(request),
        fields=["name", "phone"],
        note=f"phone-tree {kind} count={count} per_caller={per_caller}",
    )


@never_cache
@require_http_methods(["GET", "POST"])
@capability_required(Cap.MEMBERS_EXPORT)
def phonetree(request: HttpRequest) -> HttpResponse:
    """GET: how many people the tree would hold, and the form; POST: ask for it (a
    second person approves it on the export requests page)."""
    network = request_network(request)
    if request.method == "POST":
        form = PhoneTreeForm(request.POST)
    else:
        form = PhoneTreeForm(initial={"per_caller": DEFAULT_PER_CALLER, "output": "pdf"})
    if request.method == "POST" and form.is_valid():
        try:
            export_request_create(
                network=network,
                actor=request.user,
                kind=ExportRequest.Kind.PHONE_TREE,
                per_caller=form.cleaned_data["per_caller"],
                output=form.cleaned_data["output"],
                reason=form.cleaned_data["reason"],
            )
        except ExportRequestError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                gettext(
                    "Your request is waiting for a second person who can export people. "
                    "Once they approve it, you can open it here once."
                ),
            )
            return redirect("people:export_requests")
    context = {
        "form": form,
        "reachable": reachable_people(network).count(),
        **approval_context(request, network),
    }
    return render(request, "people/phonetree.html", context, status=400 if form.errors else 200)


def phone_tree_response(request: HttpRequest, export: ExportRequest) -> tuple[HttpResponse, int]:
    """The approved phone tree, as it was asked for (the page or the PDF), audited.
    Returns the response and how many people it holds."""
    network = export.network
    per_caller = int(export.options.get("per_caller") or DEFAULT_PER_CALLER)
    tree = phone_tree_open(phone_tree_build(network=network, per_caller=per_caller))
    made = timezone.localtime(tree.generated_at, network_zone(network))
    if export.options.get("output") == "page":
        _audit(request, "page", tree.count, per_caller)
        context: dict[str, object] = {
            "tree": tree,
            "sections": [
                (code, name, [(min(depth, 6) * 0.75, depth, entry) for depth, entry in rows])
                for code, name, rows in tree.sections()
            ],
            "how_to_read": how_to_read(tree),
            "made": made,
            "per_caller": per_caller,
            "once": True,
        }
        response = render(request, "people/phonetree.html", context)
        response["Cache-Control"] = "no-store"
        return response, tree.count
    pdf = phone_tree_pdf(tree=tree, network=network)
    _audit(request, "pdf", tree.count, per_caller)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="phone-tree-{made.date().isoformat()}.pdf"'
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response, tree.count
