"""The iCal feed: a signed token per person (revoked by an audit event), and the
shifts it lists."""

from __future__ import annotations

from datetime import datetime

from django.core import signing
from django.utils import timezone

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, User
from amparo.people.models import Person

from ..models import ShiftAssignment

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


def person_assignments(*, person: Person, since: datetime | None = None) -> list[ShiftAssignment]:
    since = since or timezone.now()
    return list(
        ShiftAssignment.objects.filter(person=person, shift__ends_at__gt=since)
        .select_related("shift__network")
        .order_by("shift__starts_at")[:500]
    )
