"""Codes the reports app stores, as people read them, in the active language: the one
place that turns an incident event ("status", note "3 asked"), a report's answers
("time": "now", "detained": "yes") and its source into words.

Events and answers are stored as codes (no content, no language); they are put into
words only when shown. A code not listed here is shown as stored: a dispatcher's own
note is their words. A new event kind or note code gets its words here."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from amparo.hotline.scripts import YES_NO_UNKNOWN

from .forms_public import SIZE_CHOICES, UNIFORM_CHOICES, WHEN_CHOICES
from .models import IncidentStatus, Source

#: How the SALUTE fields of a report are labelled; other keys are shown as they come.
DETAIL_LABELS = {
    "size": gettext_lazy("How many agents"),
    "agents": gettext_lazy("How many agents"),
    "activity": gettext_lazy("What is happening"),
    "location": gettext_lazy("Where"),
    "where": gettext_lazy("Workplace or address"),
    "workplace": gettext_lazy("Workplace"),
    "uniform": gettext_lazy("Agency or uniform"),
    "agency": gettext_lazy("Agency or uniform"),
    "time": gettext_lazy("When"),
    "when": gettext_lazy("When"),
    "equipment": gettext_lazy("Vehicles and equipment"),
    "vehicles": gettext_lazy("Vehicles and equipment"),
    "detained": gettext_lazy("Is anyone detained?"),
    "text": gettext_lazy("In their words"),
}
#: the answers chosen from a list, by field: stored as codes, shown as the list says
DETAIL_VALUES: dict[str, dict[str, Any]] = {
    "size": dict(SIZE_CHOICES),
    "agents": dict(SIZE_CHOICES),
    "uniform": dict(UNIFORM_CHOICES),
    "agency": dict(UNIFORM_CHOICES),
    "time": dict(WHEN_CHOICES),
    "when": dict(WHEN_CHOICES),
    "detained": dict(YES_NO_UNKNOWN),
}


def report_details(details: Any, zone: Any = None) -> list[tuple[str, str]]:
    """A report's answers as (label, value) rows in the active language; later posts of
    the same source added to it (``flood.py``) follow, with their time in ``zone``."""
    if not isinstance(details, dict):
        return [(str(DETAIL_LABELS["text"]), str(details))] if details else []
    rows = []
    for key, value in details.items():
        if value in (None, "", [], {}):
            continue
        if key == "more" and isinstance(value, list):  # later posts of the same source
            rows += [_added(entry, zone) for entry in value if isinstance(entry, dict)]
            continue
        if key == "more_dropped":
            rows.append((str(_("Later reports from the same source, not kept")), str(value)))
            continue
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value)
        value = DETAIL_VALUES.get(key, {}).get(str(value), value)
        label = DETAIL_LABELS.get(key)
        rows.append((str(label) if label else key.replace("_", " ").capitalize(), str(value)))
    return rows


def _added(entry: dict[str, Any], zone: Any) -> tuple[str, str]:
    """One later post of the same source, added to this report (amparo/reports/flood.py)."""
    try:
        at = timezone.localtime(datetime.fromisoformat(str(entry.get("at"))), zone)
        when = at.strftime("%H:%M")
    except (TypeError, ValueError):
        when = ""
    label = _("Added later by the same source (%(time)s)") % {"time": when}
    return str(label), " · ".join(str(v) for k, v in entry.items() if k != "at" and v)


EVENT_KINDS = {
    "created": pgettext_lazy("incident event", "incident opened"),
    "report": pgettext_lazy("incident event", "report received"),
    "status": pgettext_lazy("incident event", "status changed"),
    "merge": pgettext_lazy("incident event", "incidents merged"),
    "split": pgettext_lazy("incident event", "report split off"),
    "public_note": pgettext_lazy("incident event", "public note changed"),
    "verify_request": pgettext_lazy("incident event", "verifiers asked"),
    "meeting_point": pgettext_lazy("incident event", "meeting point set"),
}
#: notes written by the code (never by a person), exact
EVENT_NOTES = {
    "verified": pgettext_lazy("incident event", "a verifier confirmed it"),
    "re-opened": pgettext_lazy("incident event", "re-opened for verification"),
    "verifier: no": pgettext_lazy("incident event", "a verifier said it is not happening"),
    "unsure/expired": pgettext_lazy(
        "incident event", "verifiers were not sure or did not answer in time"
    ),
    "merged": pgettext_lazy("incident event", "merged into another incident"),
    "demo": pgettext_lazy("incident event", "demo data"),
    "alert squad": pgettext_lazy("incident event", "squad call-out sent"),
    "alert legal": pgettext_lazy("incident event", "legal-team call-out sent"),
    "alert members": pgettext_lazy("incident event", "member alert sent"),
    **{code: label for code, label in Source.choices},  # a report's source
}
#: notes written by the code with a number in them
EVENT_NOTE_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"^(\d+) asked$"),
        lambda m: _("%(n)s verifiers asked") % {"n": m[1]},
    ),
    (
        re.compile(r"^from (\d+)$"),
        lambda m: _("incident %(n)s merged into this one") % {"n": m[1]},
    ),
]


def event_note(note: str) -> str:
    if not note:
        return ""
    if note in EVENT_NOTES:
        return str(EVENT_NOTES[note])
    for pattern, words in EVENT_NOTE_PATTERNS:
        if match := pattern.match(note):
            return words(match)
    return note  # a dispatcher's own note: their words


def status_label(code: str) -> str:
    return str(dict(IncidentStatus.choices).get(code, code)) if code else ""


def event_text(event: Any) -> str:
    """One line of an incident's timeline, in words: what happened (a status change
    says from what to what) and the note."""
    kind = str(EVENT_KINDS.get(event.kind, event.kind))
    text = kind
    if event.to_status and not event.from_status:  # opened: its first status
        text = _("%(what)s: %(after)s") % {"what": kind, "after": status_label(event.to_status)}
    elif event.to_status:
        text = _("%(what)s: %(before)s → %(after)s") % {
            "what": kind,
            "before": status_label(event.from_status),
            "after": status_label(event.to_status),
        }
    if note := event_note(event.note):
        text = f"{text} · {note}"
    return text
