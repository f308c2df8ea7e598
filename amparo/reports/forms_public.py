"""The report form: a few simple questions (SALUTE), for the public and for responders."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from amparo.accounts.models import Network
from amparo.lib.phones import normalize_phone
from amparo.lib.quickwidgets import quick_renderer
from amparo.people.models import Place

SIZE_CHOICES = [
    ("", _("I don't know")),
    ("1-2", _("1 or 2")),
    ("3-5", _("3 to 5")),
    ("6-10", _("6 to 10")),
    ("10+", _("More than 10")),
]
UNIFORM_CHOICES = [
    ("", _("I don't know")),
    ("ICE", _("ICE")),
    ("HSI", _("HSI / other federal agents")),
    ("police", _("Local police or sheriff")),
    ("plain", _("Plain clothes")),
    ("other", pgettext_lazy("uniform", "Other")),
]
WHEN_CHOICES = [
    ("now", _("Now")),
    ("15", _("About 15 minutes ago")),
    ("60", _("About an hour ago")),
    ("earlier", _("Earlier today")),
]


class ReportForm(forms.Form):
    default_renderer = quick_renderer  # public, asked for under load

    activity = forms.CharField(
        label=_("What is happening?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Please say what is happening.")},
    )
    place = forms.ModelChoiceField(
        label=_("Town"), queryset=Place.objects.none(), required=False, empty_label=_("—")
    )
    where = forms.CharField(
        label=_("Workplace or address"),
        max_length=300,
        required=False,
        help_text=_("The name of the business, the street, a landmark."),
    )
    size = forms.ChoiceField(label=_("How many agents?"), choices=SIZE_CHOICES, required=False)
    uniform = forms.ChoiceField(
        label=_("Which agency or uniform?"), choices=UNIFORM_CHOICES, required=False
    )
    time = forms.ChoiceField(label=_("When?"), choices=WHEN_CHOICES, initial="now")
    equipment = forms.CharField(
        label=_("Vehicles (how many, what kind)"), max_length=300, required=False
    )
    photo = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        help_text=_("Only if it is safe to take one. Up to 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
    callback = forms.CharField(
        label=_("Phone number for a call back (optional)"),
        max_length=40,
        required=False,
        help_text=_("Only if you want a call. It is deleted after a few weeks."),
    )

    def __init__(self, *args: Any, network: Network, with_callback: bool = True, **kw: Any):
        super().__init__(*args, **kw)
        self.network = network
        self.fields["place"].queryset = Place.choices(network).order_by("name")  # type: ignore[attr-defined]
        if not with_callback:
            del self.fields["callback"]

    def clean_callback(self) -> str:
        value = (self.cleaned_data.get("callback") or "").strip()
        if not value:
            return ""
        try:
            return normalize_phone(value)
        except ValidationError as exc:
            raise ValidationError(exc.messages[0]) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("place") and not (data.get("where") or "").strip():
            self.add_error("where", _("Please say where: choose a town or write the place."))
        return data

    def details(self) -> dict[str, str]:
        d = self.cleaned_data
        out = {
            "activity": d.get("activity", "").strip(),
            "where": (d.get("where") or "").strip(),
            "size": d.get("size") or "",
            "uniform": d.get("uniform") or "",
            "time": d.get("time") or "",
            "equipment": (d.get("equipment") or "").strip(),
        }
        return {k: v for k, v in out.items() if v}
