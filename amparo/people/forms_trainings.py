"""Forms for training sessions, sign-ups and attendance."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import Network
from amparo.lib.forms import LocalDateTimeField

from .models import TrainingSignup, TrainingType


class TypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.label)


class SessionForm(forms.Form):
    training_type = TypeChoiceField(
        label=_("Training"),
        queryset=TrainingType.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": _("Choose a training from the list.")},
    )
    starts_at = LocalDateTimeField(
        label=_("Starts at"),
        error_messages={
            "required": _("Say when the session starts."),
            "invalid": _("Write a date and time, for example 2026-03-31 18:00."),
        },
    )
    ends_at = LocalDateTimeField(
        label=_("Ends at"),
        required=False,
        error_messages={"invalid": _("Write a date and time, for example 2026-03-31 20:00.")},
    )
    language = forms.ChoiceField(label=_("Language"))
    place = forms.CharField(
        label=_("Place"),
        max_length=200,
        required=False,
        help_text=_("Told to everyone who signs up: a hall, a church, a room."),
    )
    link = forms.URLField(
        label=_("Link"),
        assume_scheme="https",
        required=False,
        help_text=_("For a session held online."),
        error_messages={"invalid": _("Write a full web address, starting with https://.")},
    )
    capacity = forms.IntegerField(
        label=_("Seats"),
        min_value=1,
        max_value=10000,
        initial=30,
        error_messages={
            "required": _("Say how many people fit."),
            "min_value": _("A session needs at least one seat."),
        },
    )

    def __init__(self, *args: Any, network: Network, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["training_type"].queryset = TrainingType.objects.filter(  # type: ignore[attr-defined]
            network=network
        )
        names = dict(settings.LANGUAGES)
        codes = list(network.languages or []) or [code for code, _name in settings.LANGUAGES]
        self.fields["language"].choices = [(c, names.get(c, c)) for c in codes]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("A session must end after it starts."))
        return data


class SignupForm(forms.Form):
    person = forms.IntegerField(min_value=1, error_messages={"required": _("Choose a person.")})


ATTENDANCE_CHOICES = [
    (TrainingSignup.Status.ATTENDED, _("came")),
    (TrainingSignup.Status.NO_SHOW, _("did not come")),
    (TrainingSignup.Status.CANCELLED, _("cancelled")),
    (TrainingSignup.Status.SIGNED_UP, _("signed up")),
]


class AttendanceForm(forms.Form):
    status = forms.ChoiceField(
        choices=ATTENDANCE_CHOICES,
        error_messages={"invalid_choice": _("Unknown attendance status.")},
    )
