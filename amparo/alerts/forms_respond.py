"""Forms: the dispatcher's Respond page and the responder's magic-link answer."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AlertRecipient

R = AlertRecipient.Status


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(
        choices=[(R.GOING, _("Going")), (R.NOT_GOING, _("Not going")), (R.ARRIVED, _("Arrived"))]
    )
    eta = forms.IntegerField(label=_("Minutes away"), required=False, min_value=3, max_value=240)


class RespondForm(forms.Form):
    squad = forms.BooleanField(label=_("Squad call-out to rapid responders"), required=False)
    squad_target = forms.IntegerField(
        label=_("Responders needed"), min_value=1, max_value=100, initial=6
    )
    radius_km = forms.FloatField(label=_("Radius (km)"), min_value=0.5, max_value=100, initial=8)
    legal = forms.BooleanField(label=_("Legal-team call-out to attorneys"), required=False)
    members = forms.BooleanField(label=_("Member alert (needs a second approver)"), required=False)

    def __init__(self, *args: object, languages: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.languages = languages
        for kind in ("squad", "legal", "members"):
            for lang in languages:
                self.fields[f"{kind}_{lang}"] = forms.CharField(
                    label=_("Message (%(lang)s)") % {"lang": lang.upper()},
                    widget=forms.Textarea(attrs={"rows": 3, "data-segments": "1"}),
                    max_length=1000,
                    required=False,
                )

    def template_fields(self, kind: str) -> list[forms.BoundField]:
        return [self[f"{kind}_{lang}"] for lang in self.languages]

    def templates(self, kind: str) -> dict[str, str]:
        return {
            lang: self.cleaned_data.get(f"{kind}_{lang}", "").strip()
            for lang in self.languages
            if self.cleaned_data.get(f"{kind}_{lang}", "").strip()
        }
