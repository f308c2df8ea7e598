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


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Number or name"),
        max_length=100,
        help_text=_("A whole phone number, or the start of a name."),
        error_messages={"required": _("Type a number or a name.")},
    )

    def clean_q(self) -> str:
        q = self.cleaned_data["q"].strip()
        if not q:
            raise forms.ValidationError(_("Type a number or a name."))
        return q
