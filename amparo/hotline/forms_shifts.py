"""Forms of the hotline schedule: rotations, generating shifts, adding a person."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import Network
from amparo.people.models import Person

from .models import WEEKDAYS, ShiftRole
from .shifts.rotations import hotline_people


def _people_choices(network: Network) -> list[tuple[int, str]]:
    return [(p.pk, str(p)) for p in hotline_people(network)]


def _language_choices(network: Network) -> list[tuple[str, Any]]:
    offered = set(network.languages or [])
    return [(c, n) for c, n in settings.LANGUAGES if c in offered] or list(settings.LANGUAGES)


class RotationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80, required=False)
    weekday = forms.TypedChoiceField(label=_("Day of the week"), choices=WEEKDAYS, coerce=int)
    start_time = forms.TimeField(
        label=_("Starts"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end_time = forms.TimeField(
        label=_("Ends"),
        help_text=_("An end at or before the start means the next day (an overnight shift)."),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    languages_required = forms.MultipleChoiceField(
        label=_("Languages required"), required=False, widget=forms.CheckboxSelectMultiple
    )
    primaries = forms.TypedMultipleChoiceField(
        label=_("On shift"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    backups = forms.TypedMultipleChoiceField(
        label=_("Backup"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, network: Network, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.network = network
        people = _people_choices(network)
        self.fields["languages_required"].choices = _language_choices(network)  # type: ignore[attr-defined]
        self.fields["primaries"].choices = people  # type: ignore[attr-defined]
        self.fields["backups"].choices = people  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        both = set(data.get("primaries") or []) & set(data.get("backups") or [])
        if both:
            raise forms.ValidationError(_("A person is either on shift or backup, not both."))
        ids = [*(data.get("primaries") or []), *(data.get("backups") or [])]
        found = {p.pk: p for p in Person.objects.filter(network=self.network, pk__in=ids)}
        data["primary_people"] = [found[i] for i in data.get("primaries") or [] if i in found]
        data["backup_people"] = [found[i] for i in data.get("backups") or [] if i in found]
        return data


class GenerateForm(forms.Form):
    start_date = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    days = forms.IntegerField(label=_("Days"), min_value=1, max_value=62, initial=28)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["start_date"].initial = timezone.localdate()

    def clean_start_date(self) -> date:
        value: date = self.cleaned_data["start_date"]
        if abs((value - timezone.localdate()).days) > 366:
            raise forms.ValidationError(_("Choose a date within a year."))
        return value


class AssignForm(forms.Form):
    person = forms.TypedChoiceField(label=_("Person"), coerce=int)
    role = forms.ChoiceField(label=_("Role"), choices=ShiftRole.choices, initial="primary")

    def __init__(self, *args: Any, network: Network, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = _people_choices(network)  # type: ignore[attr-defined]
