from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import LANGUAGE_CHOICES
from amparo.lib.forms import LocalDateTimeField

from .models import FamilyPlan, NeedKind, SlotKind


class SlotForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of turn"), choices=SlotKind.choices)
    starts_at = LocalDateTimeField(label=_("Starts at"))
    hours = forms.IntegerField(label=_("Hours"), min_value=1, max_value=24, initial=2)


class NeedForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of need"), choices=NeedKind.choices)
    words = forms.CharField(
        label=_("The task, as the committee will see it"),
        max_length=300,
        help_text=_("Only these words reach the committee: no names, no case details."),
    )
    due = forms.DateField(
        label=_("Needed by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class PlanOpenForm(forms.Form):
    plan: forms.ModelChoiceField[FamilyPlan] = forms.ModelChoiceField(
        label=_("The detained member's family plan"), queryset=FamilyPlan.objects.none()
    )

    def __init__(self, *args: Any, network: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["plan"]
        field.queryset = FamilyPlan.objects.filter(network=network, expires_at=None)
        field.label_from_instance = lambda p: p.owner.display_name or p.owner.email


def _text(label: Any, rows: int, help_text: Any = "") -> forms.CharField:
    return forms.CharField(label=label, widget=forms.Textarea({"rows": rows}), help_text=help_text)


class PlanForm(forms.Form):
    language = forms.ChoiceField(label=_("Language of the plan"), choices=LANGUAGE_CHOICES)
    children = _text(
        _("Each child and who takes care of them if you are detained"),
        3,
        _("One child per line: the child's name, the caregiver, their phone."),
    )
    documents = _text(
        _("Where your documents are kept"),
        2,
        _("Passports, birth certificates, the children's medical records."),
    )
    contacts = _text(_("Emergency contacts"), 2)
    lawyer = forms.CharField(label=_("Your lawyer (name and phone)"), required=False)
    viewers = _text(
        _("Who may see this plan if you are detained"),
        3,
        _("One person per line: name, phone. They get a link only when the plan is opened."),
    )
