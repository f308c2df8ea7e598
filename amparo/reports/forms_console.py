"""Forms of the dispatcher console and incident page (no personal data in any of them)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Incident, IncidentStatus
from .services import TRANSITIONS
from .where import parse_point

S = IncidentStatus


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Every status not closed")), *S.choices],
    )


def dispatcher_targets(incident: Incident) -> list[tuple[str, Any]]:
    """Where a dispatcher may move this incident. Never "confirmed": only a verifier
    confirms, through the verification flow."""
    allowed = TRANSITIONS.get(incident.status, set())
    return [
        (value, label) for value, label in S.choices if value in allowed and value != S.CONFIRMED
    ]


class TransitionForm(forms.Form):
    to = forms.ChoiceField(label=_("New status"))
    note = forms.CharField(
        label=_("Note for the timeline (codes only, no names)"),
        required=False,
        max_length=120,
    )

    def __init__(self, *args: Any, incident: Incident, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_status-%s")  # the incident page has two notes
        super().__init__(*args, **kwargs)
        # Nothing chosen until the dispatcher chooses: a hurried click on "Change status"
        # must never close a live raid because "closed" was the only, preselected choice.
        self.fields["to"].choices = [  # type: ignore[attr-defined]
            ("", _("Choose…")),
            *dispatcher_targets(incident),
        ]
        self.fields["to"].error_messages["required"] = _("Choose the new status.")


class PublicNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Public note (the hotline reads it out)"),
        max_length=200,
        help_text=_('For example: "Not confirmed at 14:10."'),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_public-%s")  # the incident page has two notes
        super().__init__(*args, **kwargs)


class MergeForm(forms.Form):
    other = forms.ModelChoiceField(
        label=_("Merge this incident with"), queryset=Incident.objects.none()
    )

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_merge-%s")
        super().__init__(*args, **kwargs)
        field: Any = self.fields["other"]
        field.queryset = candidates
        field.label_from_instance = incident_choice_label


def incident_choice_label(incident: Incident) -> str:
    place = incident.place.name if incident.place else str(_("unknown place"))
    return f"#{incident.pk} · {place} · {incident.get_status_display()} · {incident.report_count}"


class MeetingPointForm(forms.Form):
    """Where responders meet: a short text and, optionally, a point (shown on their link
    pages while the alert runs; never in a text)."""

    text = forms.CharField(
        label=_("Meeting point"),
        max_length=160,
        required=False,
        help_text=_(
            "A short description responders can find, e.g. the corner or parking lot. "
            "Leave empty to clear it."
        ),
    )
    point = forms.CharField(
        label=_("Map point (latitude, longitude), optional"),
        max_length=80,
        required=False,
        help_text=_("For example 42.2043, -72.6162 (from a map app's “share location”)."),
    )

    def clean_point(self) -> dict[str, float] | None:
        try:
            return parse_point(self.cleaned_data.get("point") or "")
        except ValueError:
            raise forms.ValidationError(
                _(
                    "Write the point as two numbers, latitude then longitude, e.g. 42.2043, -72.6162."
                )
            ) from None
