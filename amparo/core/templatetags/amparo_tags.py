from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.apps import apps
from django.utils.translation import get_language_info

from amparo.lib.phones import display_phone
from amparo.people.models import CHANNEL_CHOICES

register = template.Library()


@register.filter
def phone(e164: str | None) -> str:
    """An E.164 number as people read it: (413) 555-0100."""
    return display_phone(e164) if e164 else ""


@register.filter
def language_names(codes: Iterable[str] | None) -> str:
    """["en", "es"] -> "English, español" (each language in its own name)."""
    names = []
    for code in codes or []:
        try:
            names.append(get_language_info(code)["name_local"])
        except KeyError:
            names.append(code)
    return ", ".join(names)


@register.filter
def channel_names(codes: Iterable[str] | None) -> str:
    """["sms", "voice"] -> "Text message, Phone call" in the active language."""
    labels = dict(CHANNEL_CHOICES)
    return ", ".join(str(labels.get(code, code)) for code in codes or [])


@register.filter
def model_name(label: str) -> str:
    """ "accounts.membership" -> the model's translated verbose name."""
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label
