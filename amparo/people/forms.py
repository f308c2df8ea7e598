from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import Network
from amparo.lib.phones import normalize_phone

from .filters import PeopleFilter
from .models import Committee, Person, PersonRole, Place, TrainingType

LANGUAGES = [(code, name) for code, name in settings.LANGUAGES]
WITHIN = [("", _("still valid")), ("90", _("last 3 months")), ("365", _("last 12 months"))]


def _choices(form: forms.Form, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


def _choices_roles(network: Network) -> list[tuple[str, str]]:
    return [(r.slug, r.label) for r in PersonRole.objects.filter(network=network)]


class PeopleFilterForm(forms.Form):
    """The dispatcher's filter, from GET parameters; an invalid value is ignored.

    No name field: a typed name is personal data and never goes in a URL. The people
    list searches names with a separate POST form (``PersonSearchForm``)."""

    roles = forms.MultipleChoiceField(
        label=_("Roles"), required=False, widget=forms.CheckboxSelectMultiple
    )
    languages = forms.MultipleChoiceField(
        label=_("Speaks"), required=False, choices=LANGUAGES, widget=forms.CheckboxSelectMultiple
    )
    places = forms.MultipleChoiceField(label=_("Covers"), required=False)
    trained = forms.MultipleChoiceField(label=_("Trained in"), required=False)
    trained_within_days = forms.ChoiceField(label=_("Training"), required=False, choices=WITHIN)
    committees = forms.MultipleChoiceField(label=_("Committee"), required=False)
    available_now = forms.NullBooleanField(
        label=_("Available now"),
        required=False,
        widget=forms.Select(choices=[("", _("any")), ("true", _("yes")), ("false", _("no"))]),
    )
    statuses = forms.MultipleChoiceField(
        label=_("Status"), required=False, choices=Person.Status.choices
    )

    def __init__(self, *args: Any, network: Network, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "roles").choices = _choices_roles(network)
        _choices(self, "places").choices = [(str(p.pk), p.name) for p in Place.choices(network)]
        _choices(self, "trained").choices = [
            (t.slug, t.label) for t in TrainingType.objects.filter(network=network)
        ]
        _choices(self, "committees").choices = [
            (c.slug, c.label) for c in Committee.objects.filter(network=network)
        ]

    def to_filter(self) -> PeopleFilter:
        if not self.is_valid():
            return PeopleFilter()
        data = self.cleaned_data
        within = data.get("trained_within_days")
        return PeopleFilter(
            roles=list(data.get("roles") or []),
            languages=list(data.get("languages") or []),
            places=[int(p) for p in data.get("places") or []],
            trained=list(data.get("trained") or []),
            trained_within_days=int(within) if within else None,
            committees=list(data.get("committees") or []),
            available_now=data.get("available_now"),
            statuses=list(data.get("statuses") or []),
        )


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("Save this filter as"), max_length=120)


class PersonForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=160)
    phone = forms.CharField(label=_("Mobile phone"), max_length=40, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    language = forms.ChoiceField(label=_("Preferred language"), choices=LANGUAGES)
    other_languages = forms.MultipleChoiceField(
        label=_("Also speaks"),
        required=False,
        choices=LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
    )
    roles = forms.MultipleChoiceField(
        label=_("Roles"), required=False, widget=forms.CheckboxSelectMultiple
    )
    places = forms.MultipleChoiceField(label=_("Towns they can cover"), required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self,
        *args: Any,
        network: Network,
        other_phones: Sequence[tuple[int, str]] = (),
        **kwargs: Any,
    ) -> None:
        """``other_phones``: (id, number shown) of a person's numbers besides the primary
        one, when editing them: each with a box to remove it."""
        super().__init__(*args, **kwargs)
        _choices(self, "roles").choices = _choices_roles(network)
        _choices(self, "places").choices = [(str(p.pk), p.name) for p in Place.choices(network)]
        if other_phones:
            self.fields["remove_phones"] = forms.TypedMultipleChoiceField(
                label=_("Other numbers: tick those to remove"),
                required=False,
                coerce=int,
                choices=other_phones,
                widget=forms.CheckboxSelectMultiple,
            )
            self.order_fields(["name", "phone", "remove_phones"])

    def clean_phone(self) -> str:
        raw = self.cleaned_data.get("phone") or ""
        return normalize_phone(raw) if raw.strip() else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("phone") and not data.get("email") and not self.errors:
            raise forms.ValidationError(
                _("Give a phone number or an email, so the network can reach this person.")
            )
        return data
