"""The worker committee's record (priorities, decisions) and the demands with their
commitments and enforcement checks (Cap.COMMITTEE to see and write)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from amparo.accounts.access import capability_required, request_network, request_user
from amparo.accounts.models import Network, localized
from amparo.accounts.roles import Cap
from amparo.lib.forms import render_form

from . import record as svc
from . import surge as surge_svc
from .access import get_check_for_user, get_demand_for_user
from .models import Activity, Committee, Decision, Demand, Organization, Person, Place, Priority
from .phonetree import language_name


def _worker_committee(network: Network) -> Committee | None:
    return Committee.objects.filter(network=network, kind=Committee.Kind.WORKER).first()


class _Choice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        if isinstance(obj, Priority):
            return localized(obj.name)
        if isinstance(obj, Activity):
            return f"{obj.title} · {obj.starts_at:%Y-%m-%d}"
        if isinstance(obj, Decision):
            return f"{obj.decided_on:%Y-%m-%d} · {localized(obj.text)[:60]}"
        return str(obj)


class _Choices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return localized(obj.name)


def _language_fields(form: forms.Form, network: Network, label: Any, *, area: bool) -> None:
    for lang in network.languages or ["en"]:
        widget = forms.Textarea(attrs={"rows": 3}) if area else forms.TextInput()
        form.fields[f"text_{lang}"] = forms.CharField(
            label=f"{label} ({language_name(lang)})",
            max_length=2000,
            required=False,
            widget=widget,
        )


def _texts(form: forms.Form, network: Network) -> dict[str, str]:
    return {lang: form.cleaned_data.get(f"text_{lang}", "") for lang in network.languages or []}


class DecisionForm(forms.Form):
    decided_on = forms.DateField(label=gettext_lazy("Decided on"))
    meeting = _Choice(
        label=gettext_lazy("Meeting"),
        queryset=Activity.objects.none(),
        required=False,
        empty_label=gettext_lazy("None"),
    )
    priorities = _Choices(
        label=gettext_lazy("Priorities it sets"),
        queryset=Priority.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, network: Network, committee: Committee, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _language_fields(self, network, gettext_lazy("Decision"), area=True)
        self.fields["meeting"].queryset = Activity.objects.filter(  # type: ignore[attr-defined]
            network=network, committee=committee
        ).order_by("-starts_at")[:30]
        self.fields["priorities"].queryset = Priority.objects.filter(  # type: ignore[attr-defined]
            network=network, is_current=True
        )


class PriorityForm(forms.Form):
    def __init__(self, *args: Any, network: Network, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _language_fields(self, network, gettext_lazy("Priority"), area=False)
        self.fields["show_on_signup"] = forms.BooleanField(
            label=gettext_lazy("Show it on the public sign-up page"), required=False
        )


@capability_required(Cap.COMMITTEE)
def committee_record(request: HttpRequest) -> HttpResponse:
    network = request_network(request)
    committee = _worker_committee(network)
    decision_form = (
        DecisionForm(
            network=network,
            committee=committee,
            prefix="d",
            initial={"decided_on": timezone.localdate()},
        )
        if committee
        else None
    )
    priority_form = PriorityForm(network=network, prefix="p")
    status = 200
    if request.method == "POST" and request.POST.get("form") == "decision" and committee:
        decision_form = DecisionForm(request.POST, network=network, committee=committee, prefix="d")
        if decision_form.is_valid():
            data = decision_form.cleaned_data
            try:
                svc.decision_record(
                    committee=committee,
                    texts=_texts(decision_form, network),
                    decided_on=data["decided_on"],
                    meeting=data["meeting"],
                    priorities=list(data["priorities"]),
                    actor=request_user(request),
                )
            except ValidationError as error:
                decision_form.add_error(None, error)
            else:
                messages.success(request, _("Decision recorded."))
                return redirect("people:committee_record")
        status = 400
    elif request.method == "POST" and request.POST.get("form") == "priority":
        priority_form = PriorityForm(request.POST, network=network, prefix="p")
        if priority_form.is_valid():
            try:
                svc.priority_create(
                    network=network,
                    name=_texts(priority_form, network),
                    show_on_signup=priority_form.cleaned_data["show_on_signup"],
                    actor=request_user(request),
                )
            except ValidationError as error:
                priority_form.add_error(None, error)
            else:
                messages.success(request, _("Priority added."))
                return redirect("people:committee_record")
        status = 400
    languages = list(network.languages or ["en"])
    decisions = [
        (d, svc.decision_texts(d, languages))
        for d in Decision.objects.filter(network=network)
        .select_related("committee", "meeting")
        .prefetch_related("priorities", "demands")[:50]
    ]
    return render(
        request,
        "people/record.html",
        {
            "committee": committee,
            "meetings": committee.activities.order_by("-starts_at")[:10] if committee else [],
            "decisions": decisions,
            "priorities": Priority.objects.filter(network=network, is_current=True),
            "decision_form": decision_form,
            "priority_form": priority_form,
        },
        status=status,
    )


# --- demands ------------------------------------------------------------------------------


class DemandForm(forms.Form):
    target = _Choice(
        label=gettext_lazy("To whom (from the contact sheet)"),
        queryset=Organization.objects.none(),
        required=False,
        empty_label=gettext_lazy("Not on the contact sheet"),
    )
    target_name = forms.CharField(
        label=gettext_lazy("To whom (name)"),
        max_length=160,
        required=False,
        help_text=gettext_lazy("Needed when the office or business is not on the contact sheet."),
    )
    what = forms.CharField(
        label=gettext_lazy("What is demanded"), max_length=2000, widget=forms.Textarea
    )
    research = forms.CharField(
        label=gettext_lazy("Research behind it"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    decision = _Choice(
        label=gettext_lazy("Decision of the worker committee"),
        queryset=Decision.objects.none(),
        required=False,
        empty_label=gettext_lazy("None"),
    )

    def __init__(self, *args: Any, network: Network, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = Organization.objects.filter(  # type: ignore[attr-defined]
            network=network
        )
        self.fields["decision"].queryset = Decision.objects.filter(  # type: ignore[attr-defined]
            network=network
        )


@capability_required(Cap.COMMITTEE)
def demands(request: HttpRequest) -> HttpResponse:
    network = request_network(request)
    form = DemandForm(request.POST or None, network=network)
    if request.method == "POST" and form.is_valid():
        try:
            demand = svc.demand_create(
                network=network, actor=request_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Demand saved as a draft."))
            return redirect("people:demand", pk=demand.pk)
    rows = Demand.objects.filter(network=network).select_related("target")[:100]
    return render_form(request, "people/demands.html", {"rows": rows, "form": form})


class CommitmentForm(forms.Form):
    promise = forms.CharField(
        label=gettext_lazy("What exactly was promised"), max_length=2000, widget=forms.Textarea
    )
    evidence = forms.CharField(
        label=gettext_lazy("Evidence (a letter, minutes)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    evidence_link = forms.URLField(
        label=gettext_lazy("Link to the evidence"), required=False, assume_scheme="https"
    )
    check_every_days = forms.IntegerField(
        label=gettext_lazy("Check every (days)"), min_value=1, max_value=365, initial=30
    )
    warns_town = forms.ModelChoiceField(
        label=gettext_lazy("A promise to warn this town's community of raids"),
        queryset=Place.objects.none(),
        required=False,
    )

    def __init__(self, *args: Any, network: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        places = Place.objects.filter(network=network, kind=Place.Kind.TOWN)
        self.fields["warns_town"].queryset = places  # type: ignore[attr-defined]


def demand(request: HttpRequest, pk: int) -> HttpResponse:
    obj = get_demand_for_user(request, pk)
    form = CommitmentForm(request.POST or None, network=obj.network)
    if request.method == "POST" and form.is_valid():
        try:
            svc.commitment_add(demand=obj, actor=request_user(request), **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Commitment recorded. Its checks are scheduled."))
            return redirect("people:demand", pk=obj.pk)
    moves = [(s, Demand.Status(s).label) for s in sorted(svc.DEMAND_MOVES.get(obj.status, ()))]
    commitments = list(obj.commitments.prefetch_related("checks"))
    return render_form(
        request,
        "people/demand.html",
        {
            "demand": obj,
            "moves": moves,
            "commitments": commitments,
            "form": form,
            "may_commit": obj.status in (Demand.Status.WON, Demand.Status.PARTLY),
        },
    )


@require_POST
def demand_move(request: HttpRequest, pk: int) -> HttpResponse:
    obj = get_demand_for_user(request, pk)
    try:
        svc.demand_move(
            demand=obj, status=request.POST.get("status", ""), actor=request_user(request)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Status changed."))
    return redirect("people:demand", pk=obj.pk)


@require_POST
def check_now(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a check today ("did the mayor's office warn the community?")."""
    obj = get_demand_for_user(request, pk)
    commitment = obj.commitments.filter(pk=request.POST.get("commitment", "0") or 0).first()
    if commitment is None:
        messages.error(request, _("Unknown commitment."))
    else:
        svc.check_open(commitment)
        messages.success(request, _("Check opened."))
    return redirect("people:demand", pk=obj.pk)


@require_POST
def check_answer(request: HttpRequest, pk: int) -> HttpResponse:
    check = get_check_for_user(request, pk)
    kept = request.POST.get("kept")
    if kept not in ("1", "0"):
        messages.error(request, _("Say whether the commitment was kept."))
    else:
        try:
            svc.check_answer(
                check=check,
                kept=kept == "1",
                note=request.POST.get("note", "")[:2000],
                actor=request_user(request),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Check recorded."))
    return redirect("people:demand", pk=check.commitment.demand_id)


# --- surge mode and the pipeline ------------------------------------------------------------


class SurgeForm(forms.Form):
    capacity = forms.IntegerField(
        label=gettext_lazy("Seats per orientation"), min_value=1, max_value=500, initial=30
    )
    place = forms.CharField(
        label=gettext_lazy("Where orientations are held"), max_length=200, required=False
    )

    def __init__(self, *args: Any, network: Network, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _language_fields(self, network, gettext_lazy("The moment's message"), area=True)


@capability_required(Cap.NETWORK_MANAGE)
def surge(request: HttpRequest) -> HttpResponse:
    network = request_network(request)
    current = surge_svc.active_surge(network)
    initial = {f"text_{k}": v for k, v in (current.message if current else {}).items()}
    if current:
        initial.update(capacity=current.capacity, place=current.place)
    form = SurgeForm(request.POST or None, network=network, initial=initial)
    if request.method == "POST" and request.POST.get("action") == "stop":
        if surge_svc.surge_stop(network=network, actor=request_user(request)):
            messages.success(request, _("Surge mode is off."))
        return redirect("people:surge")
    if request.method == "POST" and form.is_valid():
        try:
            surge_svc.surge_start(
                network=network,
                message=_texts(form, network),
                capacity=form.cleaned_data["capacity"],
                place=form.cleaned_data["place"],
                actor=request_user(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Surge mode is on."))
            return redirect("people:surge")
    return render_form(
        request,
        "people/surge.html",
        {
            "current": current,
            "form": form,
            "need": surge_svc.orientation_need(network),
        },
    )


@capability_required(Cap.MEMBERS_VIEW)
def pipeline(request: HttpRequest) -> HttpResponse:
    network = request_network(request)
    labels = dict(Person.Status.choices)
    return render(
        request,
        "people/pipeline.html",
        {
            "stages": [labels[s] for s in Person.PIPELINE],
            "weeks": surge_svc.pipeline_by_week(network),
        },
    )
