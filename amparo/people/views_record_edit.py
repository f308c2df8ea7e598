"""Editing the worker committee's record: a meeting, a decision, a demand, a commitment.
Each page keeps what was typed when something must be fixed, and shows the record's
history (who changed which fields, when: the audit log)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import record as svc
from .access import (
    get_commitment_for_user,
    get_decision_for_user,
    get_demand_for_user,
    get_meeting_for_user,
)
from .participation import in_network_time
from .views_checkin import ActivityForm
from .views_record import CommitmentForm, DecisionForm, DemandForm, _actor, _texts


class CommitmentEditForm(CommitmentForm):
    is_active = forms.BooleanField(label=gettext_lazy("Still checked"), required=False)


def _page(
    request: HttpRequest, form: forms.Form, obj: Model, heading: str, back: str
) -> HttpResponse:
    context = {"form": form, "heading": heading, "back": back, "history": svc.history(obj)}
    status = 400 if request.method == "POST" else 200
    return render(request, "people/record_edit.html", context, status=status)


def _save(request: HttpRequest, form: forms.Form, save: Any, back: str) -> HttpResponse | None:
    """Run ``save`` on a valid POST; None (show the form again) when it is refused."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        save(form.cleaned_data)
    except ValidationError as error:
        form.add_error(None, error)
        return None
    messages.success(request, _("Saved."))
    return redirect(back)


@in_network_time
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request, pk)
    fields = ["kind", "title", "starts_at", "place", "capacity", "committee"]
    initial = {name: getattr(meeting, name) for name in fields}
    form = ActivityForm(request.POST or None, network=meeting.network, initial=initial)
    back = reverse("people:committee_record")
    done = _save(
        request,
        form,
        lambda data: svc.record_update(
            meeting, {name: data[name] for name in fields},
            network=meeting.network, actor=_actor(request),
        ),
        back,
    )  # fmt: skip
    return done or _page(request, form, meeting, _("Edit the meeting"), back)


def decision_edit(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_decision_for_user(request, pk)
    network = decision.network
    initial = {
        "decided_on": decision.decided_on,
        "meeting": decision.meeting_id,
        "priorities": list(decision.priorities.values_list("pk", flat=True)),
        **{f"text_{lang}": text for lang, text in decision.text.items()},
    }
    form = DecisionForm(
        request.POST or None, network=network, committee=decision.committee, initial=initial
    )
    back = f"{reverse('people:committee_record')}#decision-{decision.pk}"
    done = _save(
        request,
        form,
        lambda data: svc.decision_update(
            decision=decision, texts=_texts(form, network), decided_on=data["decided_on"],
            meeting=data["meeting"], priorities=list(data["priorities"]), actor=_actor(request),
        ),
        back,
    )  # fmt: skip
    return done or _page(request, form, decision, _("Edit the decision"), back)


def demand_edit(request: HttpRequest, pk: int) -> HttpResponse:
    demand = get_demand_for_user(request, pk)
    names = ["target", "target_name", "what", "research", "decision"]
    initial = {name: getattr(demand, name) for name in names}
    form = DemandForm(request.POST or None, network=demand.network, initial=initial)
    back = reverse("people:demand", kwargs={"pk": demand.pk})
    done = _save(
        request,
        form,
        lambda data: svc.demand_update(demand=demand, actor=_actor(request), **data),
        back,
    )
    return done or _page(request, form, demand, _("Edit the demand"), back)


def commitment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    commitment = get_commitment_for_user(request, pk)
    names = ["promise", "evidence", "evidence_link", "check_every_days", "is_active"]
    form = CommitmentEditForm(
        request.POST or None, initial={name: getattr(commitment, name) for name in names}
    )
    back = reverse("people:demand", kwargs={"pk": commitment.demand_id})
    done = _save(
        request,
        form,
        lambda data: svc.commitment_update(
            commitment=commitment, actor=_actor(request), **data
        ),
        back,
    )
    return done or _page(request, form, commitment, _("Edit the commitment"), back)
