from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.apps import apps
from django.forms import BoundField
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from amparo.accounts.models import Network
from amparo.lib.phones import display_phone
from amparo.lib.quickwidgets import attrs_html
from amparo.people.models import CHANNEL_CHOICES

register = template.Library()


@register.filter
def phone(e164: str | None) -> str:
    """An E.164 number as people read it: (413) 555-0100."""
    return display_phone(e164) if e164 else ""


@register.filter
def tel_link(e164: str | None) -> str:
    """A tap-to-call link: E.164 in the ``tel:`` address, the number as people read it."""
    if not e164:
        return ""
    return format_html('<a href="tel:{}" class="nowrap">{}</a>', e164, display_phone(e164))


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


def _public_network(network: Network | None) -> Network | None:
    """The network a public page is about: the given one, or the server's only one."""
    if network is not None:
        return network
    networks = list(Network.objects.filter(is_active=True)[:2])
    return networks[0] if len(networks) == 1 else None


@register.simple_tag
def report_url(network: Network | None = None) -> str:
    """Where "Report a raid" leads: the network's form, else ``/report/`` (a chooser)."""
    net = _public_network(network)
    return reverse("report_form", kwargs={"network": net.slug}) if net else reverse("report_start")


@register.inclusion_tag("public_links.html")
def public_links(network: Network | None = None, here: str = "") -> dict[str, Any]:
    """The public pages, each linking to the others (``here`` left out); with no network and
    several on the server, each leads to ``/report/``, which lists every network's."""
    net = _public_network(network)
    chooser = reverse("report_start")
    links = [
        ("report", _("Report a raid"), report_url(net)),
        (
            "status",
            _("Confirmed raids near you"),
            reverse("report_status", kwargs={"network": net.slug}) if net else chooser,
        ),
        (
            "signup",
            _("Volunteer with the network"),
            reverse("signup", kwargs={"network_slug": net.slug}) if net else chooser,
        ),
    ]
    return {"links": [link for link in links if link[0] != here]}


@register.simple_tag
def choice_labels(field: BoundField) -> str:
    """A radio or checkbox field's options as ``<label class="choice">`` items: the markup
    of each option's widget template (input.html), without a template render per option."""
    return format_html_join(
        "",
        '<label class="choice" for="{}"><input type="{}" name="{}"{}{}> <span>{}</span></label>',
        (
            (
                w.id_for_label,
                w.data["type"],
                w.data["name"],
                "" if w.data["value"] is None else format_html(' value="{}"', w.data["value"]),
                attrs_html(w.data["attrs"]),
                w.choice_label,
            )
            for w in field
        ),
    )
