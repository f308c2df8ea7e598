"""Sending and receiving through any channel.

``delivery_create`` saves the message and enqueues it once the transaction
commits; ``delivery_attempt`` claims it (conditional UPDATE), calls the transport
and records the outcome; ``deliveries_sweep`` re-enqueues anything overdue or
abandoned by a crashed worker. ``inbound_receive`` stores what arrives (once per
provider id) and hands it to the inbound handlers.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from amparo.accounts.models import Network

from . import inbound
from .base import TransportError
from .models import Delivery, InboundMessage
from .registry import get_transport

log = logging.getLogger(__name__)

#: a claim older than this was abandoned by a worker that died mid-send
STALE_CLAIM = timedelta(minutes=5)
RETRY_BASE_SECONDS = 15


def _enqueue(delivery_id: int) -> None:
    from .tasks import deliver

    transaction.on_commit(lambda: deliver(delivery_id))


def delivery_create(
    *,
    network: Network,
    channel: str,
    to: str,
    body: str,
    purpose: str = "message",
    language: str = "en",
    due_at: datetime | None = None,
    expires_at: datetime | None = None,
) -> Delivery:
    get_transport(channel)  # an unknown channel fails here, before anything is saved
    delivery = Delivery.objects.create(
        network=network,
        channel=channel,
        to_address=to,
        body=body,
        purpose=purpose,
        language=language,
        due_at=due_at or timezone.now(),
        expires_at=expires_at,
        max_attempts=settings.DELIVERY_MAX_ATTEMPTS,
    )
    _enqueue(delivery.pk)
    return delivery


def _abandoned(now: datetime) -> Q:
    """Claimed by a worker that died mid-send, with attempts left."""
    return Q(
        status=Delivery.Status.SENDING,
        claimed_at__lt=now - STALE_CLAIM,
        attempts__lt=F("max_attempts"),
    )


def _not_outbox() -> Q:
    """Alert rows with a sender belong to the alert outbox (amparo.alerts.outbox):
    paced per sender, in tier order, with failover; never sent one by one from here."""
    return Q(alert__isnull=True) | Q(sender="")


def _claim(delivery_id: int, now: datetime) -> bool:
    claimable = Q(status=Delivery.Status.QUEUED, due_at__lte=now) | _abandoned(now)
    return (
        Delivery.objects.filter(claimable, _not_outbox(), pk=delivery_id).update(
            status=Delivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        == 1
    )


def delivery_attempt(*, delivery_id: int) -> str:
    """Try to send one delivery; returns its status afterwards ("" if not ours to send)."""
    now = timezone.now()
    if not _claim(delivery_id, now):
        return ""
    delivery = Delivery.objects.get(pk=delivery_id)
    if delivery.expires_at and delivery.expires_at <= now:
        delivery.status = Delivery.Status.EXPIRED
        delivery.save(update_fields=["status"])
        return delivery.status
    try:
        ref = get_transport(delivery.channel).send(delivery)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded, never lost
        if isinstance(exc, TransportError):
            message, permanent = exc.message, exc.permanent
        else:  # a bug or an unwrapped library error: transient, and only its type is kept
            message, permanent = f"unexpected {type(exc).__name__}", False
        exc = TransportError(message, permanent=permanent)
        delivery.error = exc.message[:200]
        if exc.permanent or delivery.attempts >= delivery.max_attempts:
            delivery.status = Delivery.Status.FAILED
        else:
            delivery.status = Delivery.Status.QUEUED
            delivery.claimed_at = None
            delivery.due_at = now + timedelta(
                seconds=RETRY_BASE_SECONDS * 2 ** (delivery.attempts - 1)
            )
        delivery.save(update_fields=["status", "error", "claimed_at", "due_at"])
        log.warning(
            "delivery %s attempt %s failed (%s): %s",
            delivery.pk,
            delivery.attempts,
            "permanent" if exc.permanent else "transient",
            delivery.error,
        )
        return delivery.status
    delivery.status = Delivery.Status.SENT
    delivery.provider_ref = ref.id[:100]
    delivery.sent_at = timezone.now()
    delivery.error = ""
    delivery.save(update_fields=["status", "provider_ref", "sent_at", "error"])
    return delivery.status


def deliveries_sweep(*, limit: int = 500) -> list[int]:
    """Ids of deliveries due now or abandoned; the caller enqueues them."""
    now = timezone.now()
    # Abandoned claims with no attempts left have failed for good. (Alert rows are
    # swept by amparo.alerts.outbox, which fails them over to the next channel.)
    Delivery.objects.filter(
        _not_outbox(),
        status=Delivery.Status.SENDING,
        claimed_at__lt=now - STALE_CLAIM,
        attempts__gte=F("max_attempts"),
    ).update(status=Delivery.Status.FAILED, error="abandoned after the last attempt")
    overdue = Q(status=Delivery.Status.QUEUED, due_at__lte=now) | _abandoned(now)
    return list(
        Delivery.objects.filter(overdue, _not_outbox())
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )


def inbound_receive(
    *,
    network: Network,
    channel: str,
    from_address: str,
    body: str,
    provider_ref: str = "",
) -> InboundMessage:
    """Store a message that arrived and run it through the inbound handlers.

    Idempotent on (channel, provider_ref): a provider that retries its webhook
    gets the first message back and nothing is handled twice.
    """
    if provider_ref:
        existing = InboundMessage.objects.filter(channel=channel, provider_ref=provider_ref).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            message = InboundMessage.objects.create(
                network=network,
                channel=channel,
                from_address=from_address,
                body=body,
                provider_ref=provider_ref,
            )
    except IntegrityError:
        return InboundMessage.objects.get(channel=channel, provider_ref=provider_ref)
    result = inbound.dispatch(message)
    if result is not None:
        message.handled_by = result.handler
        message.save(update_fields=["handled_by"])
        if result.reply:
            delivery_create(
                network=network,
                channel=channel,
                to=from_address,
                body=result.reply,
                purpose="reply",
                language=result.language,
            )
    return message
