from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_SMS_TEXT = 1600  # ten segments: what carriers accept in one message


class ReplyForm(forms.Form):
    """One text message to send: a hotline reply, a reply on the sandbox phone."""

    body = forms.CharField(
        label=_("Your reply"),
        max_length=MAX_SMS_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Write a message first."),
            "max_length": _("A text message can be at most %(limit_value)d characters."),
        },
    )

    def __init__(self, *args: Any, label: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if label:
            self.fields["body"].label = label

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError(_("Write a message first."))
        return body
