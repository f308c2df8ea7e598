"""Editing the worker committee's record (meetings, decisions, demands, commitments): a
refused edit keeps what was typed; each page shows the record's history."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.forms.models import model_to_dict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amparo.accounts.access import request_user
from amparo.lib.forms import render_form

from . import access
from . import record as svc
from .participation import in_network_time
from .views_checkin import ActivityForm
from .views_record import CommitmentForm, DecisionForm, DemandForm, _texts


class CommitmentEditForm(CommitmentForm):
    is_active = forms.BooleanField(label=gettext_lazy("Still checked"), required=False)


def _edit(
    request: HttpRequest, form: forms.Form, obj: Model, save: Any, heading: str, back: str
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved."))
            return redirect(back)
    context = {"form": form, "heading": heading, "back": back, "history": svc.history(obj)}
    return render_form(request, "people/record_edit.html", context)


@in_network_time
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = access.get_meeting_for_user(request, pk)
    names = ["kind", "title", "starts_at", "place", "capacity", "committee"]
    form = ActivityForm(
        request.POST or None, network=meeting.network, initial=model_to_dict(meeting, names)
    )

    def save(data: dict[str, Any]) -> None:
        changes = {name: data[name] for name in names}
        svc.record_update(meeting, changes, network=meeting.network, actor=request_user(request))

    back = reverse("people:committee_record")
    return _edit(request, form, meeting, save, _("Edit the meeting"), back)


def decision_edit(request: HttpRequest, pk: int) -> HttpResponse:
    decision = access.get_decision_for_user(request, pk)
    network = decision.network
    initial = model_to_dict(decision, ["decided_on", "meeting", "priorities"])
    initial.update({f"text_{lang}": text for lang, text in decision.text.items()})
    form = DecisionForm(
        request.POST or None, network=network, committee=decision.committee, initial=initial
    )

    def save(data: dict[str, Any]) -> None:
        svc.decision_update(
            decision=decision, texts=_texts(form, network), actor=request_user(request),
            decided_on=data["decided_on"], meeting=data["meeting"],
            priorities=list(data["priorities"]),
        )  # fmt: skip

    back = f"{reverse('people:committee_record')}#decision-{decision.pk}"
    return _edit(request, form, decision, save, _("Edit the decision"), back)


def demand_edit(request: HttpRequest, pk: int) -> HttpResponse:
    demand = access.get_demand_for_user(request, pk)
    initial = model_to_dict(demand, ["target", "target_name", "what", "research", "decision"])
    form = DemandForm(request.POST or None, network=demand.network, initial=initial)
    back = reverse("people:demand", kwargs={"pk": demand.pk})
    return _edit(
        request, form, demand,
        lambda data: svc.demand_update(demand=demand, actor=request_user(request), **data),
        _("Edit the demand"), back,
    )  # fmt: skip


def commitment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    commitment = access.get_commitment_for_user(request, pk)
    names = ["promise", "evidence", "evidence_link", "check_every_days", "is_active"]
    form = CommitmentEditForm(request.POST or None, initial=model_to_dict(commitment, names))
    back = reverse("people:demand", kwargs={"pk": commitment.demand_id})
    return _edit(
        request, form, commitment,
        lambda data: svc.commitment_update(commitment=commitment, actor=request_user(request), **data),
        _("Edit the commitment"), back,
    )  # fmt: skip
