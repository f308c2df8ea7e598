"""Provider minimisation: delete each text message at Twilio once it is final.

Twilio keeps every message (its body, both numbers, times) until it is deleted. Amparo
keeps its own sealed copy and the message's id (``Delivery.provider_ref``,
``InboundMessage.provider_ref``), so Twilio's copy serves no purpose once the message
is final:

- a message Amparo **sent**: when its status callback says ``delivered``,
  ``undelivered`` or ``failed`` (views in ``voice.py``); and a message that stayed
  ``sent`` with no final callback (some carriers never confirm) once its validity
  period is long over (:func:`stale_sent_schedule`, from the sweep);
- a message Amparo **received**: as soon as it is stored (``sms.py``).

Twilio refuses to delete a message that is still being processed (error 20009: wait
a minute or more), so each deletion is a ``ProviderDeletion`` row due a minute later,
run by a Huey task and found again by the sweeper. A failure (20009, a 5xx, no
network) moves ``due_at`` on with a growing delay (at most six hours) and is tried
again; nothing is given up. A 404 means the message is already gone: done. A row
that succeeded is never tried again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from amparo.channels.models import Delivery, ProviderDeletion

from .client import TwilioNotConfigured, twilio_client

log = logging.getLogger(__name__)

CHANNEL = "twilio_sms"
#: Twilio: "wait at least 1 minute" after a message is final before deleting it.
FIRST_DELAY = timedelta(seconds=70)
MAX_DELAY = timedelta(hours=6)
STALE_CLAIM = timedelta(minutes=5)
#: Deleted rows (an id and a time, nothing else) are kept this long, then dropped.
KEEP_DONE = timedelta(days=30)
#: A message still "sent" this long after it was sent will get no final status.
SENT_GIVES_NO_ANSWER_AFTER = timedelta(hours=6)


def schedule(
    *, provider_ref: str, direction: str, network_id: int | None = None, channel: str = CHANNEL
) -> ProviderDeletion | None:
    """Record that Twilio's copy of ``provider_ref`` must go (idempotent), and run it
    after FIRST_DELAY. Returns the row, or None when there is nothing to delete."""
    if not provider_ref:
        return None
    existing = ProviderDeletion.objects.filter(channel=channel, provider_ref=provider_ref).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            row = ProviderDeletion.objects.create(
                network_id=network_id,
                channel=channel,
                provider_ref=provider_ref[:100],
                direction=direction,
                due_at=timezone.now() + FIRST_DELAY,
            )
    except IntegrityError:
        return ProviderDeletion.objects.filter(channel=channel, provider_ref=provider_ref).first()
    row_id = row.pk
    transaction.on_commit(lambda: _enqueue_later(row_id))
    return row


def _enqueue_later(row_id: int) -> None:
    from .tasks import provider_delete

    provider_delete.schedule((row_id,), delay=int(FIRST_DELAY.total_seconds()) + 1)


def _retry_delay(attempts: int) -> timedelta:
    return min(MAX_DELAY, FIRST_DELAY * 2 ** max(0, attempts - 1))


def _error_code(exc: Exception) -> str:
    """A short code, safe to store: the kind, Twilio's error code, the HTTP status."""
    kind = getattr(exc, "kind", None) or type(exc).__name__
    parts = (kind, getattr(exc, "code", None), getattr(exc, "status", None))
    return " ".join(str(part) for part in parts if part)[:200]


def run(*, deletion_id: int, now: datetime | None = None) -> str:
    """Try one deletion; returns "deleted", "retry" or "" (not due, or not ours)."""
    now = now or timezone.now()
    claimable = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - STALE_CLAIM)
    claimed = ProviderDeletion.objects.filter(
        claimable, pk=deletion_id, deleted_at__isnull=True, due_at__lte=now
    ).update(claimed_at=now)
    if claimed != 1:
        return ""
    row = ProviderDeletion.objects.get(pk=deletion_id)
    attempts = row.attempts + 1
    try:
        twilio_client().messages(row.provider_ref).delete()
    except Exception as exc:  # noqa: BLE001 - every failure is retried later, never lost
        if getattr(exc, "status", None) == 404:  # already gone at Twilio
            return _done(row, attempts, now, note="already gone")
        error = "not configured" if isinstance(exc, TwilioNotConfigured) else _error_code(exc)
        ProviderDeletion.objects.filter(pk=row.pk).update(
            attempts=attempts,
            claimed_at=None,
            due_at=now + _retry_delay(attempts),
            error=error[:200],
        )
        log.warning(
            "provider deletion %s (%s) attempt %s failed: %s",
            row.pk,
            row.direction,
            attempts,
            error,
        )
        return "retry"
    return _done(row, attempts, now)


def _done(row: ProviderDeletion, attempts: int, now: datetime, note: str = "") -> str:
    ProviderDeletion.objects.filter(pk=row.pk).update(
        attempts=attempts, claimed_at=None, deleted_at=now, error=note
    )
    return "deleted"


def stale_sent_schedule(*, now: datetime | None = None, limit: int = 500) -> int:
    """Schedule the deletion of texts still "sent" long after their validity ended."""
    now = now or timezone.now()
    known = ProviderDeletion.objects.filter(
        channel=OuterRef("channel"), provider_ref=OuterRef("provider_ref")
    )
    stale = list(
        Delivery.objects.filter(
            channel=CHANNEL,
            status=Delivery.Status.SENT,
            sent_at__lt=now - SENT_GIVES_NO_ANSWER_AFTER,
        )
        .exclude(provider_ref="")
        .filter(~Exists(known))
        .values_list("provider_ref", "network_id")[:limit]
    )
    rows = [
        ProviderDeletion(
            network_id=network_id,
            channel=CHANNEL,
            provider_ref=ref,
            direction=ProviderDeletion.Direction.OUTBOUND,
            due_at=now,
        )
        for ref, network_id in stale
    ]
    ProviderDeletion.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def due_ids(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Rows due now (or claimed by a worker that died), oldest first."""
    now = now or timezone.now()
    claimable = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - STALE_CLAIM)
    return list(
        ProviderDeletion.objects.filter(claimable, deleted_at__isnull=True, due_at__lte=now)
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )


def forget_done(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    deleted, _ = ProviderDeletion.objects.filter(deleted_at__lt=now - KEEP_DONE).delete()
    return deleted
