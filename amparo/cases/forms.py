"""The forms of the cases pages. Choices come from the request's network only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import LANGUAGE_CHOICES
from amparo.alerts.models import Facility
from amparo.hotline.referrals import REFERRAL_KINDS
from amparo.lib.forms import LocalDateTimeField
from amparo.people.models import Organization

from .models import ABUSES, SCREENING, CaseKind, CaseState, CaseTeamRole
from .services import a_number_clean


def _facility_field(network: Any, label: Any, *, required: bool = False) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=label,
        queryset=Facility.objects.filter(network=network, is_active=True).order_by("name"),
        required=required,
    )


class OpenCasesForm(forms.Form):
    """From a confirmed incident: a case per detained worker, several at once."""

    names = forms.CharField(
        label=_("Detained workers, one per line"),
        help_text=_(
            "Write each name exactly as on the person's documents: given names / family "
            "names. Example: Juan Carlos / Pérez López"
        ),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=4000,
    )
    intakes = forms.MultipleChoiceField(
        label=_("Or from hotline intakes about a detention"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    detained_at = LocalDateTimeField(
        label=_("Detained at"),
        required=False,
        help_text=_("The 72-hour clock to counsel runs from this time."),
    )
    case_manager = forms.TypedChoiceField(label=_("Case manager"), coerce=int, required=False)
    open_duplicates = forms.BooleanField(
        label=_("Open a case even for a name already opened from this incident"),
        help_text=_("Without this, such a name is skipped: two people can share a name."),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        network: Any,
        managers: list[tuple[int, str]],
        intakes: list[tuple[int, str]],
        can_manage: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["facility"] = _facility_field(network, _("Facility where they were taken"))
        field = self.fields["case_manager"]
        if can_manage:
            field.choices = [("", _("(me)")), *managers]  # type: ignore[attr-defined]
        else:
            # Someone who cannot manage a case (a dispatcher) chooses who will: a case
            # is never opened without a team to watch its 72-hour clock.
            field.required = True
            field.choices = [("", _("Choose the case manager")), *managers]  # type: ignore[attr-defined]
            field.help_text = _("They watch the 72-hour clock and reach the family.")
        self.fields["intakes"].choices = [(str(pk), label) for pk, label in intakes]  # type: ignore[attr-defined]
        if not intakes:
            del self.fields["intakes"]


class CaseForm(forms.Form):
    """What a case holds: what the locator needs, the screening, the details."""

    kind = forms.ChoiceField(label=_("Kind of case"), choices=CaseKind.choices)
    given_names = forms.CharField(label=_("Given names, exactly as on documents"), max_length=120)
    family_names = forms.CharField(
        label=_("Family names, exactly as on documents"), max_length=120, required=False
    )
    a_number = forms.CharField(
        label=_("A-number"),
        max_length=14,
        required=False,
        help_text=_("9 digits; shorter numbers are padded with zeros at the front."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    country_of_birth = forms.CharField(label=_("Country of birth"), max_length=120, required=False)
    detained_at = LocalDateTimeField(label=_("Detained at"), required=False)
    sole_caregiver = forms.BooleanField(label=SCREENING["sole_caregiver"], required=False)
    pregnant_or_nursing = forms.BooleanField(label=SCREENING["pregnant_or_nursing"], required=False)
    serious_medical = forms.BooleanField(label=SCREENING["serious_medical"], required=False)
    language = forms.ChoiceField(label=_("Family's language"), choices=LANGUAGE_CHOICES)
    employer = forms.CharField(label=_("Employer"), max_length=200, required=False)
    abuses = forms.MultipleChoiceField(
        label=_("What happened"),
        choices=list(ABUSES.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    when = forms.CharField(label=_("When"), max_length=200, required=False)
    amount_owed = forms.CharField(label=_("Wages owed"), max_length=40, required=False)
    what = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000
    )

    #: the fields only one kind of case has
    DETENTION_ONLY = ("a_number", "facility", "detained_at")
    DETAILS = ("employer", "abuses", "when", "amount_owed", "what")

    def __init__(self, *args: Any, network: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["facility"] = _facility_field(network, _("Facility"))
        self.order_fields([*list(self.fields)[:6], "facility"])
        # a form per kind: a detention asks what the locator needs, a workplace-abuse
        # or hate-crime case what happened; the kind itself is chosen before
        del self.fields["kind"]
        for name in self.DETAILS if kind == CaseKind.DETENTION else self.DETENTION_ONLY:
            del self.fields[name]
        self.fields["referral"] = forms.ModelChoiceField(
            label=_("Referred to"),
            queryset=Organization.objects.filter(network=network, kind__in=REFERRAL_KINDS).order_by(
                "name"
            ),
            required=False,
        )

    def clean_a_number(self) -> str:
        return a_number_clean(self.cleaned_data.get("a_number") or "")

    def service_data(self) -> dict[str, Any]:
        """What the form holds, without the fields its kind of case does not have."""
        d = self.cleaned_data
        data = {
            "given_names": d["given_names"],
            "family_names": d.get("family_names") or "",
            "a_number": d.get("a_number") or "",
            "country_of_birth": d.get("country_of_birth") or "",
            "facility": d.get("facility"),
            "detained_at": d.get("detained_at"),
            "screening": {k: bool(d.get(k)) for k in SCREENING},
            "details": {k: d.get(k) for k in self.DETAILS},
            "notes": d.get("notes") or "",
            "language": d["language"],
            "referral": d.get("referral"),
        }
        if "employer" not in self.fields:
            del data["details"]
        for name in self.DETENTION_ONLY:
            if name not in self.fields:
                del data[name]
        return data


class TransferForm(forms.Form):
    moved_at = LocalDateTimeField(label=_("Date and time of the transfer"))
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)

    def __init__(self, *args: Any, network: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_facility"] = _facility_field(network, _("Moved to"), required=True)
        self.order_fields(["to_facility", "moved_at", "note"])


class CounselForm(forms.Form):
    at = LocalDateTimeField(label=_("When counsel reached the person"), required=False)
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)


class StateForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)

    def __init__(self, *args: Any, network: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"] = forms.ModelChoiceField(
            label=_("New state"), queryset=CaseState.objects.filter(network=network)
        )
        self.order_fields(["state", "note"])


class TeamForm(forms.Form):
    user = forms.TypedChoiceField(label=_("Member"), coerce=int)

    def __init__(
        self, *args: Any, network: Any, members: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # blank first: adding someone is a choice, never a preset
        self.fields["user"].choices = [("", _("Choose a member")), *members]  # type: ignore[attr-defined]
        self.fields["role"] = forms.ModelChoiceField(
            label=_("Role on the team"),
            queryset=CaseTeamRole.objects.filter(network=network),
            empty_label=_("Choose a role"),
        )


class HandoffForm(forms.Form):
    caller_number = forms.CharField(label=_("Caller's number"), max_length=40)
    name_asked = forms.CharField(label=_("Name they ask about, as on documents"), max_length=120)
