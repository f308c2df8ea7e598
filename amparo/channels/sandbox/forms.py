from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from amparo.lib.phones import normalize_phone

from ..forms import ReplyForm


class ComposeForm(ReplyForm):
    number = forms.CharField(label=_("Phone number"), max_length=40)

    field_order = ["number", "body"]

    def clean_number(self) -> str:
        return normalize_phone(self.cleaned_data["number"])
