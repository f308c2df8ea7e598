from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from amparo.lib.phones import normalize_phone

from ..forms import ReplyForm


class ComposeForm(ReplyForm):
    number = forms.CharField(label=_("Phone number"), max_length=40)

    field_order = ["number", "body"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, label=gettext("Text Amparo will send"), **kwargs)

    def clean_number(self) -> str:
        return normalize_phone(self.cleaned_data["number"])
