"""The hearing's form and the outcome's (two taps: the outcome, then save)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import LANGUAGE_CHOICES
from amparo.lib.forms import LocalDateTimeField

from .models import HearingKind, Outcome


class HearingForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=HearingKind.choices)
    starts_at = LocalDateTimeField(label=_("Date and time"))
    court = forms.CharField(label=_("Court"), max_length=200)
    judge = forms.CharField(label=_("Judge"), max_length=200, required=False)
    wanted = forms.IntegerField(label=_("Accompaniers wanted"), min_value=1, max_value=20)
    family_phone = forms.CharField(
        label=_("Family's phone for reminders"), max_length=40, required=False
    )
    language = forms.ChoiceField(label=_("Family's language"), choices=LANGUAGE_CHOICES)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=Outcome.choices, widget=forms.RadioSelect
    )
    next_date = LocalDateTimeField(label=_("Next hearing"), required=False)
