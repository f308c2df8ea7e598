from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from amparo.lib.phones import normalize_phone

MAX_SMS_TEXT = 1600  # ten segments: what carriers accept in one message


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Reply as this person"),
        max_length=MAX_SMS_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Write a message first."),
            "max_length": _("A text message can be at most %(limit_value)d characters."),
        },
    )

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError(_("Write a message first."))
        return body


class ComposeForm(ReplyForm):
    number = forms.CharField(label=_("Phone number"), max_length=40)

    field_order = ["number", "body"]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["body"].label = _("Text Amparo will send")

    def clean_number(self) -> str:
        return normalize_phone(self.cleaned_data["number"])
