"""Rota, needs and family-plan pages. Thin: the work is in services.py."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
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
from amparo.accounts.audit import audit_read
from amparo.accounts.roles import Cap
from amparo.cases.access import get_case_for_user
from amparo.people.identity import request_person

from . import services
from .forms import NeedForm, PlanForm, PlanOpenForm, SlotForm
from .models import FamilyPlan, RotaSlot, Sanctuary

ROTA_DAYS = 14  # the rota page shows this many days ahead
#: volunteers (the committee capability) and the congregation's contact open a rota
get_sanctuary_for_user = getter(
    Sanctuary.objects.select_related("network", "congregation", "committee"),
    capability=None,
    all_cap=Cap.COMMITTEE,
    own="contact",
)


def rotas(request: HttpRequest) -> HttpResponse:
    live = Sanctuary.objects.filter(ended=False).select_related("congregation")
    found = visible(request, live, all_cap=Cap.COMMITTEE, own="contact")
    return render(
        request, "support/rotas.html", {"rows": [(s, len(services.rota_gaps(s))) for s in found]}
    )


def rota(request: HttpRequest, pk: int) -> HttpResponse:
    sanctuary = get_sanctuary_for_user(request, pk)
    now = timezone.now()
    slots = sanctuary.slots.filter(
        starts_at__gt=now, starts_at__lt=now + timedelta(days=ROTA_DAYS)
    ).select_related("person")
    gaps = {s.pk for s in services.rota_gaps(sanctuary, now)}
    # who took a turn, the ask and the new turns: for those who run it, not every volunteer
    runs = _runs(request, sanctuary)
    context = {"sanctuary": sanctuary, "slots": slots, "gaps": gaps, "runs": runs, "days": 3}
    return render(request, "support/rota.html", {**context, "form": SlotForm() if runs else None})


def _runs(request: HttpRequest, sanctuary: Sanctuary) -> bool:
    """The congregation's contact and coordinators run a rota; volunteers take turns."""
    return sanctuary.contact_id == request_user(request).pk or has_capability(
        request, Cap.CASES_ALL
    )


@require_POST
def slot_add(request: HttpRequest, pk: int) -> HttpResponse:
    sanctuary = get_sanctuary_for_user(request, pk)
    if not _runs(request, sanctuary):
        raise PermissionDenied
    form = SlotForm(request.POST)
    if form.is_valid():
        RotaSlot.objects.create(sanctuary=sanctuary, **form.cleaned_data)
        messages.success(request, _("The turn was added."))
    else:
        messages.error(request, _("Check the turn's kind, time and hours."))
    return redirect("support:rota", pk=sanctuary.pk)


@require_POST
def slot_take(request: HttpRequest, pk: int) -> HttpResponse:
    network = request_network(request)
    slot = get_object_or_404(RotaSlot, pk=pk, sanctuary__network=network)
    sanctuary = get_sanctuary_for_user(request, slot.sanctuary_id)
    person = request_person(request)
    if person is None:
        messages.error(
            request, _("Your login has no record in the people list: ask a coordinator.")
        )
    elif services.slot_take(slot=slot, person=person, actor=request_user(request)):
        messages.success(request, _("The turn is yours. We will remind you the day before."))
    else:
        messages.error(request, _("That turn is already taken or is not open."))
    return redirect("support:rota", pk=sanctuary.pk)


@require_POST
def rota_ask(request: HttpRequest, pk: int) -> HttpResponse:
    sanctuary = get_sanctuary_for_user(request, pk)
    if not _runs(request, sanctuary):
        raise PermissionDenied
    sent = services.rota_ask(sanctuary=sanctuary)
    messages.success(request, _("%(n)s volunteers were texted the gaps.") % {"n": sent})
    return redirect("support:rota", pk=sanctuary.pk)


@require_POST
def case_need(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request, pk)
    form = NeedForm(request.POST, prefix="need")
    try:
        if not form.is_valid():
            raise ValidationError(_("Write the task and choose its kind."))
        d = form.cleaned_data
        services.need_add(
            case=case, kind=d["kind"], words=d["words"], due=d["due"], actor=request_user(request)
        )
        messages.success(request, _("The need is on the committee's board."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("cases:case", pk=case.pk)


@require_POST
@capability_required(services.PLAN_OPENERS)
def case_plan_open(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request, pk)
    form = PlanOpenForm(request.POST, network=case.network, prefix="plan")
    if form.is_valid():
        plan = form.cleaned_data["plan"]
        sent = services.plan_open(plan=plan, actor=request_user(request), case=case)
        messages.success(
            request, _("The plan is open for its people; %(n)s were texted.") % {"n": sent}
        )
    return redirect("cases:case", pk=case.pk)


def plan(request: HttpRequest) -> HttpResponse:
    """The member's own family plan."""
    network, user = request_network(request), request_user(request)
    mine = FamilyPlan.objects.filter(network=network, owner=user).first()
    if request.method == "POST":
        form = PlanForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            body = {k: d[k] for k, _label in services.PLAN_SECTIONS}
            try:
                services.plan_save(
                    network=network,
                    owner=user,
                    language=d["language"],
                    body=body,
                    viewers=d["viewers"],
                )
                messages.success(request, _("Your family plan is saved."))
                return redirect("support:plan")
            except ValidationError as exc:
                form.add_error(None, " ".join(exc.messages))
    else:
        viewers = (
            "\n".join(f"{v.name}, {v.phone}".strip(", ") for v in mine.viewers.all())
            if mine
            else ""
        )
        initial = (
            {**(mine.body or {}), "language": mine.language}
            if mine
            else {"language": user.language}
        )
        form = PlanForm(initial={**initial, "viewers": viewers})
    return render(request, "support/plan.html", {"form": form, "plan": mine})


def plan_pdf(request: HttpRequest) -> HttpResponse:
    network, user = request_network(request), request_user(request)
    mine = FamilyPlan.objects.filter(network=network, owner=user).first()
    if mine is None:
        raise Http404
    audit_read(actor=user, obj=mine, reason="plan pdf")
    response = HttpResponse(services.plan_pdf(mine), content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="family-plan.pdf"'
    return response


@login_not_required
def plan_shared(request: HttpRequest, token: str) -> HttpResponse:
    """A chosen person's link: the plan, only while it is open for them."""
    viewer = services.plan_shared(token)
    if viewer is None:
        raise Http404
    plan = viewer.plan
    sections = [(label, (plan.body or {}).get(key, "")) for key, label in services.PLAN_SECTIONS]
    return render(request, "support/plan_shared.html", {"plan": plan, "sections": sections})
