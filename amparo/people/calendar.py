"""A person's calendar feed (RFC 5545, written by the ``icalendar`` library).

One secret link per person: the URL carries the person's id and a signed token, never a
name or a number, and "new link" revokes the old one (an audit event bumps the token's
salt). The feed lists what each source of ``settings.CALENDAR_SOURCES`` gives for the
person (hotline shifts, court hearings, I-9 audit deadlines): the apps above register
their source there, so this layer names none of them. Titles in the person's language,
times in UTC, one stable UID per thing (``settings.CALENDAR_DOMAIN``, never the host)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Membership, User

from .models import Person

# Unchanged from the hotline's first feed, so links handed out before keep working.
FEED_SALT = "amparo.hotline.ical"
FEED_REVOKED_NOTE = "ical-feed-revoked"


def _feed_generation(person: Person) -> int:
    """Bumped by :func:`feed_revoke` (an audit event), so old links stop working."""
    last = (
        AuditEvent.objects.filter(
            target_type=Person._meta.label_lower,
            target_id=str(person.pk),
            note=FEED_REVOKED_NOTE,
        )
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return int(last or 0)


def _feed_salt(person: Person) -> str:
    return f"{FEED_SALT}:{person.network_id}:{person.pk}:{_feed_generation(person)}"


def feed_token(*, person: Person) -> str:
    return signing.dumps(person.pk, salt=_feed_salt(person), compress=False)


def feed_person(*, pk: int, token: str) -> Person | None:
    """The person whose feed this is, or None for a forged, revoked or foreign token."""
    if not token or len(token) > 200:
        return None
    person = (
        Person.objects.filter(pk=pk)
        .exclude(status=Person.Status.REMOVED)
        .select_related("network")
        .first()
    )
    if person is None:
        return None
    if (
        person.user_id
        and not Membership.objects.filter(
            user_id=person.user_id,
            network_id=person.network_id,
            is_active=True,
            user__is_active=True,
        ).exists()
    ):
        return None  # a login turned off (ended, suspended) takes its feed with it
    try:
        value = signing.loads(token, salt=_feed_salt(person))
    except signing.BadSignature:
        return None
    return person if value == person.pk else None


def feed_revoke(*, person: Person, actor: User | None = None) -> None:
    audit_record(
        action=AuditEvent.Action.UPDATE,
        actor=actor,
        network=person.network,
        obj=person,
        fields=["ical_feed"],
        note=FEED_REVOKED_NOTE,
    )


def calendar_event(
    uid: str,
    start: datetime | date,
    summary: str,
    *,
    end: datetime | None = None,
    location: str = "",
    url: str = "",
) -> Event:
    """One VEVENT: a timed one (UTC) or, for a ``date``, an all-day one."""
    event = Event()
    event.add("uid", f"{uid}@{settings.CALENDAR_DOMAIN}")
    event.add("dtstamp", timezone.now())
    if isinstance(start, datetime):
        event.add("dtstart", start.astimezone(UTC))
        event.add("dtend", (end or start + timedelta(hours=1)).astimezone(UTC))
    else:
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(days=1))
    event.add("summary", summary)
    for name, value in (("location", location), ("url", url)):
        if value:
            event.add(name, value)
    return event


def feed_ics(*, person: Person, since: datetime | None = None) -> bytes:
    """The .ics of everything ``person`` has from ``since`` (a day ago) on."""
    since = since or timezone.now() - timedelta(days=1)
    calendar = Calendar()
    calendar.add("prodid", "-//Amparo//Calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    with translation.override(person.language):
        calendar.add("x-wr-calname", _("Amparo"))
        for path in settings.CALENDAR_SOURCES:
            source = import_string(path)
            events: Iterable[Event] = source(person=person, since=since)
            for event in events:
                calendar.add_component(event)
    return calendar.to_ical()
