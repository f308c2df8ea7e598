"""The phone tree page and its printable PDF (Cap.MEMBERS_EXPORT; every view is audited)."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from amparo.accounts.access import request_network, require_capability
from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent
from amparo.accounts.roles import Cap

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


class PhoneTreeForm(forms.Form):
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


def _per_caller(request: HttpRequest) -> tuple[PhoneTreeForm, int | None]:
    data = request.GET if "per_caller" in request.GET else {"per_caller": DEFAULT_PER_CALLER}
    form = PhoneTreeForm(data)
    return form, (form.cleaned_data["per_caller"] if form.is_valid() else None)


def _audit(request: HttpRequest, kind: str, count: int, per_caller: int) -> None:
    audit_record(
        action=AuditEvent.Action.EXPORT,
        actor=request.user,
        network=request_network(request),
        fields=["name", "phone"],
        note=f"phone-tree {kind} count={count} per_caller={per_caller}",
    )


@never_cache
@require_GET
def phonetree(request: HttpRequest) -> HttpResponse:
    require_capability(request, Cap.MEMBERS_EXPORT)
    network = request_network(request)
    form, per_caller = _per_caller(request)
    context: dict[str, object] = {"form": form}
    if per_caller is None:
        context["reachable"] = reachable_people(network).count()
        return render(request, "people/phonetree.html", context, status=400)
    tree = phone_tree_open(phone_tree_build(network=network, per_caller=per_caller))
    _audit(request, "page", tree.count, per_caller)
    context.update(
        tree=tree,
        sections=[
            (code, name, [(min(depth, 6) * 0.75, depth, entry) for depth, entry in rows])
            for code, name, rows in tree.sections()
        ],
        how_to_read=how_to_read(tree),
        made=timezone.localtime(tree.generated_at, network_zone(network)),
        per_caller=per_caller,
    )
    return render(request, "people/phonetree.html", context)


@never_cache
@require_GET
def phonetree_pdf(request: HttpRequest) -> HttpResponse:
    require_capability(request, Cap.MEMBERS_EXPORT)
    network = request_network(request)
    form, per_caller = _per_caller(request)
    if per_caller is None:
        return render(
            request,
            "people/phonetree.html",
            {"form": form, "reachable": reachable_people(network).count()},
            status=400,
        )
    tree = phone_tree_open(phone_tree_build(network=network, per_caller=per_caller))
    pdf = phone_tree_pdf(tree=tree, network=network)
    _audit(request, "pdf", tree.count, per_caller)
    day = timezone.localtime(tree.generated_at, network_zone(network)).date().isoformat()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="phone-tree-{day}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
