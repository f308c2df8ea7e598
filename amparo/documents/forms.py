"""The documents forms; every choice is limited to the request's network's library."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import LANGUAGE_CHOICES

from .cards import SHEETS

FORMATS = [("pdf", "PDF"), ("docx", "DOCX")]


class TemplateForm(forms.Form):
    language = forms.SlugField(
        label=_("Language"),
        max_length=8,
        help_text=_("A language code such as en, es, pt or ht: another code adds a translation."),
    )
    title = forms.CharField(label=_("Title"), max_length=160)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 22}),
        help_text=_(
            "Merge fields such as {{ network.hotline }} are filled in when printed. "
            "A line starting with # is a heading, with - a list item; on a palm card "
            "a line --- parts the front from the back."
        ),
    )
    notes = forms.CharField(
        label=_("Rationale and negotiator's note"), required=False, widget=forms.Textarea
    )


class PrintForm(forms.Form):
    """Which document (slug, language: its newest version), which format; a case for letters."""

    slug = forms.ChoiceField(label=_("Document"))
    language = forms.ChoiceField(label=_("Language"))
    paper = forms.ChoiceField(
        label=_("Paper"), choices=[(p, p) for p in SHEETS], initial="Letter", required=False
    )
    case = forms.TypedChoiceField(label=_("Worker"), coerce=int, required=False)

    def __init__(
        self,
        *args: Any,
        templates: list[Any],
        cases: list[tuple[int, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # each document by its title in the reader's language (else English, else any)
        rank = {"en": 1, translation.get_language(): 2}
        ordered = sorted(templates, key=lambda t: rank.get(t.language, 0))
        slugs = {t.slug: t.title for t in ordered}
        names = dict(LANGUAGE_CHOICES)
        codes = sorted({t.language for t in templates})
        fields: dict[str, Any] = self.fields
        fields["slug"].choices = list(slugs.items())
        fields["language"].choices = [(c, names.get(c, c)) for c in codes]
        fields["language"].initial = translation.get_language()  # the reader's, when offered
        fields["case"].choices = [("", "—"), *(cases or [])]
        self.templates = {(t.slug, t.language): t for t in templates}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        template = self.templates.get((data.get("slug"), data.get("language")))
        if template is None and not self.errors:
            raise forms.ValidationError(_("This document does not exist in that language."))
        data["template"] = template
        return data
