"""Forms of the intake, the conversations, the referral directory and the sandbox call.
The intake's question fields come from the script; their lazy labels render in the
caller's language (``{% language %}``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import LANGUAGE_CHOICES, Network
from amparo.lib.forms import DATETIME_FORMAT, LocalDateTimeField
from amparo.lib.phones import normalize_phone
from amparo.people.models import Organization

from .models import Outcome, Situation
from .referrals import REFERRAL_KINDS, need_choices
from .scripts import CHOICE, LONG, Script

MAX_TEXT = 1600


def _radio(label: Any, choices: Any, required: Any) -> forms.ChoiceField:
    """A required choice as radio buttons, with its own "required" message."""
    return forms.ChoiceField(
        label=label,
        choices=choices,
        widget=forms.RadioSelect,
        error_messages={"required": required},
    )


class IntakeStartForm(forms.Form):
    situation = _radio(_("What is happening?"), Situation.choices, _("Choose a situation."))
    language = _radio(
        _("The caller's language"), LANGUAGE_CHOICES, _("Choose the caller's language.")
    )


class OrganizationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.get_kind_display()})"


class IntakeForm(forms.Form):
    """The script's questions, then the outcome."""

    outcome = _radio(_("Outcome"), Outcome.choices, _("Choose an outcome."))
    referral = OrganizationChoiceField(
        label=_("Refer to (for a referral)"),
        queryset=Organization.objects.none(),
        required=False,
        empty_label=_("Choose an organization"),
    )
    callback_due = LocalDateTimeField(
        label=_("Call back at (for a callback)"),
        required=False,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        error_messages={"invalid": _("Write a date and time, for example 2026-03-31 18:00.")},
    )

    def __init__(self, *args: Any, network: Network, script: Script, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.script = script
        self.fields["referral"].queryset = Organization.objects.filter(  # type: ignore[attr-defined]
            network=network, kind__in=REFERRAL_KINDS
        ).order_by("kind", "name")
        questions: dict[str, forms.Field] = {}
        for q in script.questions:
            field: forms.Field
            if q.kind == CHOICE:
                field = forms.ChoiceField(
                    label=q.label, choices=list(q.choices), required=False, widget=forms.RadioSelect
                )
            else:
                field = forms.CharField(
                    label=q.label,
                    required=False,
                    max_length=MAX_TEXT,
                    widget=forms.Textarea(attrs={"rows": 3}) if q.kind == LONG else None,
                    help_text=q.help,
                )
            questions[q.key] = field
        # The questions first, in the script's order; the outcome after them.
        self.fields = {**questions, **self.fields}

    def question_fields(self) -> list[forms.BoundField]:
        return [self[q.key] for q in self.script.questions]

    def outcome_fields(self) -> list[forms.BoundField]:
        return [self["outcome"], self["referral"], self["callback_due"]]

    def answers(self) -> dict[str, str]:
        data = getattr(self, "cleaned_data", {})
        return {q.key: data.get(q.key) or "" for q in self.script.questions}


class ReferralSearchForm(forms.Form):
    need = forms.ChoiceField(label=_("Need"), required=False)
    q = forms.CharField(label=_("Name contains"), required=False, max_length=80)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["need"].choices = [("", _("Any need")), *need_choices()]  # type: ignore[attr-defined]


class SandboxCallForm(forms.Form):
    number = forms.CharField(
        label=_("The caller's number (fictional)"),
        max_length=40,
        initial="+1 413 555 0199",
        error_messages={"required": _("Give the number the call comes from.")},
    )

    def clean_number(self) -> str:
        return normalize_phone(self.cleaned_data["number"])


class VoicemailForm(forms.Form):
    text = forms.CharField(
        label=_("What the caller says after the tone"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write the voicemail first.")},
    )


class IntakeAssignForm(forms.Form):
    """A coordinator hands an intake to one of the hotline's responders (need-to-know)."""

    user = forms.TypedChoiceField(
        label=_("Responder"),
        coerce=int,
        error_messages={
            "required": _("Choose a responder."),
            "invalid_choice": _("Choose a responder from the list."),
        },
    )
    until = LocalDateTimeField(
        label=_("Until (leave empty for no end)"),
        required=False,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        error_messages={"invalid": _("Write a date and time, for example 2026-03-31 18:00.")},
    )
    reason = forms.CharField(
        label=_("Why (optional; only coordinators see it)"), required=False, max_length=500
    )

    def __init__(self, *args: Any, responders: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [("", _("Choose a responder")), *responders]  # type: ignore[attr-defined]
