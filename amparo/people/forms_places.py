"""The coordinator's forms for towns and ZIP codes (places.py)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Place


class PlaceForm(forms.Form):
    kind = forms.ChoiceField(label=_("What it is"), choices=Place.Kind.choices)
    postal_code = forms.CharField(
        label=_("ZIP code"),
        max_length=10,
        required=False,
        help_text=_("Type a ZIP code and press “Look up”: the town and coordinates fill in."),
    )
    name = forms.CharField(label=_("Name"), max_length=120, required=False)
    state = forms.CharField(
        label=_("State"),
        max_length=2,
        required=False,
        help_text=_("Two letters, e.g. MA: with a town's name, finds its coordinates."),
    )
    latitude = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(
        label=_("Longitude"),
        required=False,
        min_value=-180,
        max_value=180,
        help_text=_("Only if the look-up finds nothing: e.g. 42.2043 and -72.6162."),
    )


class PlacesBulkForm(forms.Form):
    zips = forms.CharField(
        label=_("ZIP codes"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Paste ZIP codes, separated by spaces, commas or new lines."),
    )
    towns = forms.BooleanField(
        label=_("Also add the town of each ZIP code"), required=False, initial=True
    )
