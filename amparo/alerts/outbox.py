"""The alerts' side of the outbox: an alert's rows written at once behind the last gate,
and the hook for alert purposes (``settings.OUTBOX_HOOKS``) — stop when the recipient
answered, fail over to the person's next channel (``planning.channel_route``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Now
from django.utils import timezone

from amparo.channels.models import Delivery
from amparo.channels.outbox import BREAKER, outbox_write_bulk
from amparo.people.models import Person
from amparo.reports.services import AlertNotAllowed, require_alert_allowed

from .models import Alert, AlertKind, AlertRecipient
from .planning import channel_route

S = Delivery.Status
ANSWERED = "cancelled: answered"
ALERT_OVER = "cancelled: the alert is over"
LAST_CHANNEL = " [no next channel]"


@dataclass(frozen=True)
class Row:
    recipient: AlertRecipient
    person: Person
    channel: str  # transport slug
    to_address: str
    body: str
    language: str
    tier: int
    channel_rank: int


def alert_purpose(alert: Alert) -> str:
    """Sets the rows' priority: call-outs and verification are live, the rest bulk."""
    if alert.is_drill or alert.kind == AlertKind.DRILL:
        return "drill"
    return "alert-members" if alert.kind == AlertKind.MEMBERS else "alert"


def _require_allowed(alert: Alert) -> None:
    """The last gate: nothing beyond verifiers for an unconfirmed incident."""
    if alert.kind == AlertKind.VERIFICATION or alert.is_drill or alert.kind == AlertKind.DRILL:
        return

    if alert.incident is None:
        if alert.kind in (AlertKind.SQUAD, AlertKind.LEGAL):
            raise AlertNotAllowed  # a squad or legal call-out needs a confirmed incident
        return
    require_alert_allowed(alert.incident)


def _delivery(
    alert_id: int | None, network_id: int, row: Row, purpose: str, **fields: Any
) -> Delivery:
    return Delivery(
        network_id=network_id,
        channel=row.channel,
        purpose=purpose,
        to_address=row.to_address,
        body=row.body,
        language=row.language,
        alert_id=alert_id,
        recipient=row.recipient,
        person=row.person,
        tier=row.tier,
        channel_rank=row.channel_rank,
        **fields,
    )


def alert_rows_write(*, alert: Alert, rows: Iterable[Row]) -> int:
    """Save the alert's first-choice deliveries in one transaction; how many are new."""
    _require_allowed(alert)
    parsed = list(rows)
    purpose = alert_purpose(alert)
    now = timezone.now()
    objs = [
        _delivery(
            alert.pk,
            alert.network_id,
            row,
            purpose,
            due_at=now,
            expires_at=alert.expires_at,
            max_attempts=int(settings.ALERT_MAX_ATTEMPTS),
        )
        for row in parsed
        if row.channel_rank == 0
    ]
    with transaction.atomic():
        before = Delivery.objects.filter(alert=alert).count()
        outbox_write_bulk(objs)
        return Delivery.objects.filter(alert=alert).count() - before


def recipient_answered_stop(recipient: AlertRecipient) -> int:
    """They answered: cancel whatever is still queued for them, on every channel."""
    return Delivery.objects.filter(
        recipient=recipient, status__in=[S.QUEUED, S.SENDING], sent_at__isnull=True
    ).update(status=S.EXPIRED, error=ANSWERED, claimed_at=None)


# --- the engine's hook (settings.OUTBOX_HOOKS) -------------------------------------


#: what ``stop_reason`` reads, fetched with the row (one query before each send)
RELATED = ("recipient__alert",)


def stop_reason(delivery: Delivery) -> str:
    """Checked before each send: an answer stops every channel, and so does the end of
    the alert (cancelled, closed, expired): nothing more goes out for it."""
    recipient = delivery.recipient
    if recipient is None:
        return ""
    if recipient.alert.status != Alert.Status.SENDING:
        return ALERT_OVER
    if recipient.status == AlertRecipient.Status.PENDING:
        return ""
    recipient_answered_stop(recipient)
    return ANSWERED


def failover_pending() -> Q:
    """Rows whose recipient still waits on a live alert and that were not failed over."""
    later = Delivery.objects.filter(
        recipient_id=OuterRef("recipient_id"), channel_rank__gt=OuterRef("channel_rank")
    )
    return Q(
        ~Exists(later),
        alert__status=Alert.Status.SENDING,
        alert__expires_at__gt=Now(),
        recipient__status=AlertRecipient.Status.PENDING,
    ) & ~Q(error__endswith=LAST_CHANNEL)


def failover(delivery: Delivery) -> None:
    """Write the recipient's next channel, skipping ones with no transport, address or circuit."""
    recipient = delivery.recipient
    person = delivery.person
    if recipient is None or person is None:
        return
    recipient.refresh_from_db(fields=["status"])
    if recipient.status != AlertRecipient.Status.PENDING:
        return
    if not Alert.objects.filter(pk=delivery.alert_id, status=Alert.Status.SENDING).exists():
        return
    if delivery.expires_at and delivery.expires_at <= timezone.now():
        return
    held_back = False
    for rank, channel in enumerate(person.reachable_channels()):
        if rank <= delivery.channel_rank:
            continue
        slug = channel_route(channel)
        if not slug:
            continue
        if BREAKER.is_open(slug):
            held_back = True  # worth another look once the circuit closes
            continue
        if Delivery.objects.filter(recipient=recipient, channel=slug).exists():
            continue
        address = person.address_on(channel)
        if not address:
            continue
        row = Row(
            recipient, person, slug, address, delivery.body, delivery.language, delivery.tier, rank
        )
        outbox_write_bulk(
            [
                _delivery(
                    delivery.alert_id,
                    delivery.network_id,
                    row,
                    delivery.purpose,
                    expires_at=delivery.expires_at,
                    max_attempts=delivery.max_attempts,
                )
            ]
        )
        return
    if not held_back:  # nothing left to try: mark it, so the sweep does not look again
        Delivery.objects.filter(pk=delivery.pk).update(
            error=f"{delivery.error or ''}"[: 200 - len(LAST_CHANNEL)] + LAST_CHANNEL
        )
