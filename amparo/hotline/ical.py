"""A responder's shifts as an iCalendar feed (RFC 5545), written by hand: CRLF line
ends, lines folded at 75 octets, text escaped, times in UTC, one UID per assignment."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from amparo.people.models import Person

from .models import ShiftAssignment, ShiftRole

CRLF = "\r\n"


def escape_text(value: str) -> str:
    """TEXT value escaping (RFC 5545 §3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold_line(line: str) -> str:
    """Fold a content line at 75 octets (never inside a UTF-8 character)."""
    out: list[str] = []
    current = ""
    size = 0
    limit = 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current = " "
            size = 1
            limit = 75
        current += char
        size += width
    out.append(current)
    return CRLF.join(out)


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def event_uid(assignment: ShiftAssignment) -> str:
    """A shift assignment's UID: the same from any address the feed is fetched by, and
    the value a calendar library must keep (``settings.CALENDAR_DOMAIN``)."""
    return f"shift-assignment-{assignment.pk}@{settings.CALENDAR_DOMAIN}"


def feed_ics(*, person: Person, assignments: Iterable[ShiftAssignment]) -> str:
    """The .ics text for ``person``'s assignments, SUMMARY in their language."""
    now = utc_stamp(timezone.now())
    with translation.override(person.language):
        calendar_name = _("Hotline shifts")
        summary = _("Amparo hotline shift")
        backup = _("Backup")
        lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Amparo//Hotline shifts//EN",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            f"X-WR-CALNAME:{escape_text(calendar_name)}",
        ]
        for assignment in assignments:
            shift = assignment.shift
            title = summary
            if assignment.role == ShiftRole.BACKUP:
                title = f"{summary} ({backup})"
            lines += [
                "BEGIN:VEVENT",
                f"UID:{event_uid(assignment)}",
                f"DTSTAMP:{now}",
                f"DTSTART:{utc_stamp(shift.starts_at)}",
                f"DTEND:{utc_stamp(shift.ends_at)}",
                f"SUMMARY:{escape_text(title)}",
                "TRANSP:OPAQUE",
                "END:VEVENT",
            ]
        lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + CRLF for line in lines)
