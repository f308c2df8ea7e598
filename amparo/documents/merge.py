"""Merge fields: ``{{ network.hotline }}`` and nothing else.

A template a coordinator edited is text, never code: a field is a dotted name looked up in
a flat dict of values this module built (a whitelist), and anything else — an unknown
name, ``{{ x.__class__ }}``, ``{% … %}`` — stays in the text as it was written. Merged
values are text too: the PDF and DOCX writers print them, and the preview escapes them."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from amparo.alerts.models import Facility
from amparo.lib.phones import display_phone

FIELD = re.compile(r"\{\{\s*([a-z][a-z_]*(?:\.[a-z][a-z_]*)?)\s*\}\}")
BLANK = "____________________"


def merge(text: str, values: dict[str, str]) -> str:
    """``text`` with each known ``{{ name }}`` replaced by its value; the rest untouched."""
    return FIELD.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _day(value: date | datetime | None, zone: Any) -> str:
    if value is None:
        return BLANK
    if isinstance(value, datetime):
        value = timezone.localtime(value, zone).date()
    return formats.date_format(value, "DATE_FORMAT")


def network_values(network: Any) -> dict[str, str]:
    office = Facility.objects.filter(network=network, kind="field_office").first()
    return {
        "network.name": network.name,
        "network.hotline": display_phone(network.hotline_number)
        if network.hotline_number
        else BLANK,
        "network.report_page": report_page(network),
        "today": _day(network.local_today(), network.zone()),
        "office.name": office.name if office else BLANK,
        "office.address": (office.address if office else "") or BLANK,
    }


def report_page(network: Any) -> str:
    return settings.PUBLIC_URL + reverse("report_form", kwargs={"network": network.slug})


def case_line(case: Any) -> str:
    """One detained worker, for a letter: name, A-number, facility, screening flags."""
    parts = [case.full_name or BLANK, _("A-number: %s") % (case.a_number or BLANK)]
    parts.append(case.facility.name if case.facility else BLANK)
    if case.flags:
        parts.append(_("humanitarian screening: %s") % ", ".join(case.flags))
    return " — ".join(parts)


def case_values(case: Any) -> dict[str, str]:
    zone = case.network.zone()
    return {
        "case.name": case.full_name or BLANK,
        "case.a_number": case.a_number or BLANK,
        "case.country": case.country_of_birth or BLANK,
        "case.facility": case.facility.name if case.facility else BLANK,
        "case.detained_on": _day(case.detained_at, zone),
        "case.flags": ", ".join(case.flags) or _("none recorded"),
        "case.line": case_line(case),
    }


def incident_values(incident: Any, cases: list[Any]) -> dict[str, str]:
    zone = incident.network.zone()
    facilities = sorted({c.facility.name for c in cases if c.facility})
    return {
        "incident.date": _day(incident.first_report_at, zone),
        "incident.place": incident.place.name if incident.place else BLANK,
        "incident.facility": ", ".join(facilities) or BLANK,
        "incident.count": str(len(cases)),
        "incident.workers": "\n".join(case_line(c) for c in cases) or BLANK,
    }


def audit_values(audit: Any) -> dict[str, str]:
    zone = audit.network.zone()
    workplace = audit.workplace
    notices = [
        f"{n.kind.label} ({_day(n.served_on, zone)})" for n in audit.notices.select_related("kind")
    ]
    return {
        "audit.workplace": workplace.name,
        "audit.employer": workplace.employer.name if workplace.employer else workplace.name,
        "audit.served_on": _day(audit.served_on, zone),
        "audit.notices": "\n".join(notices) or BLANK,
        "audit.workers": "\n".join(w.name or BLANK for w in audit.workers.all()) or BLANK,
    }


#: what a preview fills every field with: every accent and sign of Spanish, and markup
#: that must print as text
SAMPLE = {
    "case.name": "José Ángel Núñez Ibáñez",
    "case.a_number": "A-201-555-014",
    "case.country": "México",
    "case.facility": "Centro de Detención Ficticio",
    "case.detained_on": "12/03/2026",
    "case.flags": "Sole caregiver",
    "incident.date": "12/03/2026",
    "incident.place": "Planta Ejemplo, Holyoke",
    "incident.facility": "Centro de Detención Ficticio",
    "incident.count": "2",
    "incident.workers": "José Ángel Núñez Ibáñez — A-201-555-014\n"
    "María Úrsula Peña <b>Ortíz</b> — A-201-555-015",
    "audit.workplace": "Planta Ejemplo",
    "audit.employer": "Empacadora Ejemplo S.A.",
    "audit.served_on": "02/03/2026",
    "audit.notices": "Notice of Suspect Documents",
    "audit.workers": "José Ángel Núñez Ibáñez\nMaría Úrsula Peña",
}


def sample_values(network: Any) -> dict[str, str]:
    return {**network_values(network), **SAMPLE}
