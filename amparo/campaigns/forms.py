"""The petition's and the letters' forms: the minimum, each field bounded."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Shown


class PetitionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(
        label=_("Text of the petition"), max_length=8000, widget=forms.Textarea,
        help_text=_("What the signers ask, and of whom. It is shown on the public page."),
    )  # fmt: skip


class DeliverForm(forms.Form):
    delivered_to = forms.CharField(label=_("Delivered to"), max_length=300, help_text=_(
        "The office or official who received it. The signers' contacts are deleted some time after."
    ))  # fmt: skip


class SignForm(forms.Form):
    name = forms.CharField(
        label=_("Your name, as you want it shown"), max_length=100,
        help_text=_("A first name and an initial is enough."),
    )  # fmt: skip
    town = forms.CharField(label=_("Your town"), max_length=100)
    shown = forms.ChoiceField(
        label=_("What may the public page show?"), choices=Shown.choices,
        initial=Shown.NAME_TOWN, widget=forms.RadioSelect,
    )  # fmt: skip
    contact = forms.CharField(
        label=_("A phone or email to hear about the petition (optional)"), max_length=200,
        required=False,
        help_text=_("Never shown. Deleted a few weeks after the petition is delivered."),
    )  # fmt: skip


class LetterForm(forms.Form):
    author = forms.CharField(label=_("Your name"), max_length=200)
    relation = forms.CharField(
        label=_("How you know the person"), max_length=300, required=False,
        help_text=_("For example: neighbor, co-worker, pastor, employer."),
    )  # fmt: skip
    text = forms.CharField(label=_("Your letter"), max_length=10000, widget=forms.Textarea)
    photo = forms.FileField(
        label=_("A photo of a handwritten letter (optional)"), required=False,
        help_text=_("Up to 5 MB. Location and camera details are removed."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )  # fmt: skip
