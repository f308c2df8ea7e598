"""Pages: readiness and running playbooks, a playbook, a step (done in one tap; its
calls, event or cluster question), the contact sheet, a template's next version."""

from __future__ import annotations

import json
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from amparo.accounts.access import (
    capability_required,
    getter,
    has_capability,
    request_network,
    request_user,
)
from amparo.accounts.models import User
from amparo.accounts.roles import Cap
from amparo.alerts.models import Facility
from amparo.lib.forms import DATETIME_FORMAT, LocalDateTimeField
from amparo.people.models import Organization

from . import sheet
from .models import Phase, Playbook, PlaybookStep
from .services import may_do, step_done, template_current, template_save

CAPS = (Cap.NETWORK_MANAGE, Cap.DISPATCH, Cap.LEGAL)
get_playbook_for_user = getter(Playbook.objects.select_related("incident"), capability=CAPS)
get_step_for_user = getter(
    PlaybookStep.objects.select_related("playbook__incident", "playbook__network"),
    capability=CAPS,
    network_field="playbook__network",
)
get_contact_for_user = getter(
    Organization.objects.filter(kind__in=sheet.SHEET_KINDS), capability=Cap.NETWORK_MANAGE
)


def _lang() -> str:
    return (get_language() or "en")[:2]


@capability_required(*CAPS)
def home(request: HttpRequest) -> HttpResponse:
    network = request_network(request)
    score, items = sheet.readiness(network, _lang())
    running = (
        Playbook.objects.filter(network=network, phase=Phase.AFTER)
        .select_related("incident", "template")
        .order_by("-started_at")[:20]
    )
    return render(
        request,
        "playbooks/home.html",
        {"score": score, "items": items, "running": running, "now": timezone.now()},
    )


@capability_required(*CAPS)
def playbook_view(request: HttpRequest, pk: int) -> HttpResponse:
    playbook = get_playbook_for_user(request, pk)
    return render(
        request,
        "playbooks/playbook.html",
        {"playbook": playbook, "steps": playbook.steps.all(), "now": timezone.now()},
    )


class EventForm(forms.Form):
    starts_at = LocalDateTimeField(label=gettext_lazy("When"))
    place = forms.CharField(
        label=gettext_lazy("Place or call-in line"), max_length=200, required=False
    )
    facility = forms.ModelChoiceField(
        label=gettext_lazy("Facility where the workers are held"),
        queryset=Facility.objects.none(),
        required=False,
    )


def _event_form(request: HttpRequest, step: PlaybookStep) -> EventForm:
    network = step.playbook.network
    default = timezone.localtime(sheet.first_evening(step.playbook), network.zone())
    form = EventForm(
        request.POST if request.POST.get("do") == "event" else None,
        initial={"starts_at": default.strftime(DATETIME_FORMAT)},
    )
    facilities = Facility.objects.filter(network=network, is_active=True)
    form.fields["facility"].queryset = facilities  # type: ignore[attr-defined]
    form.fields["facility"].initial = facilities.filter(kind=Facility.Kind.HOLDING).first()
    return form


def _act(request: HttpRequest, step: PlaybookStep, event_form: EventForm) -> str:
    """The step's POST: done, a call's outcome, its event or the cluster's answer."""
    user = cast(User, request_user(request))
    do = request.POST.get("do")
    if do == "done":
        step_done(step=step, via=PlaybookStep.Via.WEB, actor=user)
        return _("Marked done.")
    if do == "call":
        org = Organization.objects.filter(
            pk=request.POST.get("organization", "").strip() or 0, network=step.playbook.network
        ).first()
        if org is None:
            raise ValidationError(_("Choose one of the contacts of this step."))
        sheet.call_record(
            step=step, organization=org, outcome=request.POST.get("outcome", ""), actor=user
        )
        return _("Call recorded.")
    if do == "event" and event_form.is_valid():
        data = event_form.cleaned_data
        sheet.event_from_step(
            step=step,
            starts_at=data["starts_at"],
            place=data["place"],
            facility=data["facility"],
            actor=user,
        )
        return _("Event called; the invitations are going out.")
    if do == "cluster" and request.POST.get("isolated") in ("yes", "no"):
        sheet.cluster_record(step=step, isolated=request.POST["isolated"] == "yes", actor=user)
        return _("Assessment recorded.")
    raise ValidationError(_("Please correct the form."))


def step_view(request: HttpRequest, pk: int) -> HttpResponse:
    step = get_step_for_user(request, pk)
    network = step.playbook.network
    event_form = _event_form(request, step)
    error = ""
    if request.method == "POST":
        if not may_do(request_user(request), network, step):
            raise Http404
        try:
            messages.success(request, _act(request, step, event_form))
        except ValidationError as e:
            error = " ".join(e.messages)
        else:
            return redirect("playbooks:step", pk=step.pk)
    incident = step.playbook.incident
    cluster = []
    if step.uses.get("cluster") and incident is not None and incident.cluster is not None:
        cluster = list(incident.cluster.incidents.exclude(pk=incident.pk).select_related("place"))
    context: dict[str, Any] = {
        "step": step,
        "playbook": step.playbook,
        "calls": sheet.step_calls(step, _lang()),
        "logs": step.calls.select_related("organization")[:20],
        "event_form": event_form if step.uses.get("event") and not step.activity_id else None,
        "cluster": cluster,
        "may_do": may_do(request_user(request), network, step),
        "error": error,
        "now": timezone.now(),
    }
    return render(request, "playbooks/step.html", context, status=400 if error else 200)


class ContactForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = [
            "kind",
            "name",
            "contact_name",
            "phone",
            "country",
            "desk_phone",
            "after_hours_phone",
            "address",
        ]
        labels = {"kind": gettext_lazy("Kind")}  # the model field has no verbose name

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = dict(Organization.Kind.choices)
        self.fields["kind"].choices = [(k, kinds[k]) for k in sheet.SHEET_KINDS]  # type: ignore[attr-defined]


@capability_required(*CAPS)
def contacts(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The contact sheet; a coordinator adds a contact here, or edits one (``pk``)."""
    network = request_network(request)
    if not has_capability(request, Cap.NETWORK_MANAGE) and (pk or request.method == "POST"):
        raise PermissionDenied
    contact = get_contact_for_user(request, pk) if pk else Organization(network=network)
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Contact saved."))
        return redirect("playbooks:contacts")
    rows = sheet.contact_sheet(network)
    kinds = set(rows.values_list("kind", flat=True))
    missing = [Organization.Kind(k).label for k in sheet.SHEET_KINDS if k not in kinds]
    can_edit = has_capability(request, Cap.NETWORK_MANAGE)
    return render(
        request,
        "playbooks/contacts.html",
        {"rows": [] if pk else rows, "form": form if can_edit else None, "missing": missing},
    )


@capability_required(Cap.NETWORK_MANAGE)
def template_edit(request: HttpRequest, phase: str) -> HttpResponse:
    if phase not in Phase.values:
        raise Http404
    network = request_network(request)
    current = template_current(network, phase)
    text = request.POST.get("steps") or json.dumps(current.steps, ensure_ascii=False, indent=1)
    error = ""
    if request.method == "POST":
        try:
            template_save(
                network=network, phase=phase, steps=json.loads(text), actor=request_user(request)
            )
        except (ValueError, ValidationError) as e:
            error = " ".join(getattr(e, "messages", [])) or _("This is not valid JSON.")
        else:
            messages.success(request, _("Saved as a new version. Running playbooks keep theirs."))
            return redirect("playbooks:home")
    return render(
        request,
        "playbooks/template.html",
        {"current": current, "text": text, "error": error, "phase": Phase(phase).label},
        status=400 if error else 200,
    )
