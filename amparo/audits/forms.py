"""Forms for audits and no-match letters; choices are limited to the request's network."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import Membership, Network
from amparo.people.models import Organization, OrganizationMember, Person

from .models import ActionStep, AffectedWorker, NoMatchLetter, NoticeKind

WORKPLACE_KINDS = [Organization.Kind.WORKPLACE, Organization.Kind.EMPLOYER]
MAX_WORKERS_PER_NOTICE = 200


class DateInput(forms.DateInput):
    input_type = "date"


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


def workplaces(network: Network) -> Any:
    return Organization.objects.filter(network=network, kind__in=WORKPLACE_KINDS).order_by("name")


def stewards(network: Network) -> Any:
    """The people linked to a workplace or employer of the network (its union contacts),
    and those whose login holds the steward role."""
    linked = OrganizationMember.objects.filter(
        organization__network=network, organization__kind__in=WORKPLACE_KINDS
    ).values("person_id")
    with_role = Membership.objects.filter(
        network=network, is_active=True, roles__slug="steward"
    ).values("user_id")
    return Person.objects.filter(
        Q(pk__in=linked) | Q(user_id__in=with_role), network=network
    ).order_by("id")


class WorkplaceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=160)
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(k.value, k.label) for k in WORKPLACE_KINDS],
        initial=Organization.Kind.WORKPLACE,
    )
    state = forms.CharField(
        label=_("State"),
        max_length=2,
        min_length=2,
        help_text=_("Two letters, e.g. CA: the state's rules apply to its audits."),
    )
    employer = forms.ModelChoiceField(
        queryset=Organization.objects.none(), required=False, label=_("Employer")
    )
    contract_clauses = forms.CharField(
        label=_("Union contract: relevant clauses"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    steward = PersonChoice(queryset=Person.objects.none(), required=False, label=_("Steward"))

    def __init__(self, *args: Any, network: Network, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["employer"].queryset = Organization.objects.filter(  # type: ignore[attr-defined]
            network=network, kind=Organization.Kind.EMPLOYER
        ).order_by("name")
        self.fields["steward"].queryset = stewards(network)  # type: ignore[attr-defined]

    def clean_state(self) -> str:
        state = self.cleaned_data["state"].strip().upper()
        if not state.isalpha():
            raise forms.ValidationError(_("Two letters, e.g. CA."))
        return state


class AuditForm(forms.Form):
    workplace = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("Workplace"))
    served_on = forms.DateField(label=_("Notice of Inspection served on"), widget=DateInput)
    steward = PersonChoice(
        queryset=Person.objects.none(),
        required=False,
        label=_("Steward who follows it"),
        help_text=_("Gets the reminders by text, in their language."),
    )

    def __init__(self, *args: Any, network: Network, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["workplace"].queryset = workplaces(network)  # type: ignore[attr-defined]
        self.fields["steward"].queryset = stewards(network)  # type: ignore[attr-defined]


class NoticeForm(forms.Form):
    kind = forms.ModelChoiceField(queryset=NoticeKind.objects.none(), label=_("Notice"))
    served_on = forms.DateField(label=_("Served on"), widget=DateInput)
    date_on_notice = forms.DateField(
        label=_("Date given on the notice"),
        required=False,
        widget=DateInput,
        help_text=_("Suspect documents and discrepancies: the deadline written on it."),
    )
    workers = forms.CharField(
        label=_("Workers it names"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One name a line."),
    )

    def __init__(self, *args: Any, network: Network, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].queryset = NoticeKind.objects.filter(  # type: ignore[attr-defined]
            network=network, is_active=True, starts_audit=False
        )

    def clean_workers(self) -> list[str]:
        names = [n.strip()[:200] for n in self.cleaned_data["workers"].splitlines() if n.strip()]
        if len(names) > MAX_WORKERS_PER_NOTICE:
            raise forms.ValidationError(_("At most 200 names at a time."))
        return names

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        dated = kind is not None and kind.rule == NoticeKind.Rule.ON_NOTICE
        if dated and not data.get("date_on_notice"):
            self.add_error(
                "date_on_notice", _("This notice gives its own deadline: enter the date on it.")
            )
        return data


class WorkerForm(forms.Form):
    status = forms.ChoiceField(choices=AffectedWorker.Status.choices, label=_("Status"))
    support = forms.MultipleChoiceField(
        choices=AffectedWorker.Support.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Support given"),
    )


class ActionAddForm(forms.Form):
    step = forms.ModelChoiceField(queryset=ActionStep.objects.none(), label=_("Step"))
    due_on = forms.DateField(
        label=_("Due on"),
        required=False,
        widget=DateInput,
        help_text=_("Empty: the step's default deadline, counted from the inspection."),
    )

    def __init__(self, *args: Any, network: Network, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["step"].queryset = ActionStep.objects.filter(  # type: ignore[attr-defined]
            network=network, is_active=True
        )


class ActionSentForm(forms.Form):
    sent_on = forms.DateField(label=_("Sent on"), widget=DateInput)
    what_sent = forms.CharField(
        label=_("What was sent, to whom, how"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class NoMatchForm(forms.ModelForm):
    employer = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("Employer"))
    steward = PersonChoice(queryset=Person.objects.none(), required=False, label=_("Steward"))
    employer_steps = forms.MultipleChoiceField(
        choices=NoMatchLetter.EmployerStep.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("The employer's proper steps, done"),
    )
    worker_name = forms.CharField(label=_("worker's name"), max_length=200)
    notes = forms.CharField(
        label=_("notes"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    class Meta:
        model = NoMatchLetter
        fields = [
            "employer",
            "worker_name",
            "received_on",
            "respond_by",
            "employer_steps",
            "union_response_on",
            "worker_response_on",
            "steward",
            "notes",
            "status",
        ]
        widgets = {
            "received_on": DateInput,
            "respond_by": DateInput,
            "union_response_on": DateInput,
            "worker_response_on": DateInput,
        }

    def __init__(self, *args: Any, network: Network, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["employer"].queryset = workplaces(network)  # type: ignore[attr-defined]
        self.fields["steward"].queryset = stewards(network)  # type: ignore[attr-defined]
