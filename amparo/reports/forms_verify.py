"""Forms for asking verifiers and for a verifier's answer on the magic-link page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import VerificationRequest
from .photos import MAX_BYTES


class RequestForm(forms.Form):
    count = forms.IntegerField(
        label=_("How many verifiers to ask"), min_value=1, max_value=10, initial=3
    )
    within_km = forms.IntegerField(label=_("Within (km)"), min_value=1, max_value=300, initial=25)


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("What did you find?"), choices=VerificationRequest.Answer.choices
    )
    note = forms.CharField(
        label=_("Note (what you saw, how many agents, vehicles)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photo = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        help_text=_("Location data is removed from the photo."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )

    def clean_photo(self) -> Any:
        photo = self.cleaned_data.get("photo")
        if photo and photo.size > MAX_BYTES:
            raise forms.ValidationError(_("The photo is larger than 5 MB and was not accepted."))
        return photo
