"""Receiving through any channel. The stored row is the queue: ``inbound_store`` is one
INSERT per provider id (all a webhook does); ``inbound_handle`` claims the row and runs the
handlers in one transaction, so a retried task never handles a message twice and a crash
leaves it pending; ``inbound_sweep`` finds lost tasks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from amparo.accounts.models import Network

from . import inbound
from .models import InboundMessage
from .outbox import outbox_write
from .registry import TRANSPORTS, get_transport

#: A pending message this old has lost its task (the fast path takes well under a second).
PENDING_LOST_AFTER = timedelta(seconds=30)
#: The most pending messages one sweep enqueues again.
SWEEP_LIMIT = 500


def inbound_store(
    *,
    network_id: int,
    channel: str,
    from_address: str,
    body: str,
    provider_ref: str = "",
    enqueue: Callable[[int], object] | None = None,
) -> InboundMessage | None:
    """Store a message that arrived (sealed); None when ``provider_ref`` was stored before
    (the unique constraint is the dedupe). ``enqueue(pk)`` runs once committed."""
    try:
        with transaction.atomic():
            message = InboundMessage.objects.create(
                network_id=network_id,
                channel=channel,
                from_address=from_address,
                body=body,
                provider_ref=provider_ref,
            )
    except IntegrityError:
        if not provider_ref:
            raise
        return None
    if enqueue is not None:
        message_id = message.pk
        transaction.on_commit(lambda: enqueue(message_id))
    return message


def inbound_handle(*, message_id: int, now: datetime | None = None) -> str | None:
    """Hand a stored message to the inbound handlers, once: the handler that took it ("" for
    none; None if handled already). Claim, handlers, reply and ``handled_at`` commit
    together, so a crash leaves it pending and a second worker finds it handled."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = InboundMessage.objects.filter(pk=message_id, handled_at__isnull=True).update(
            handled_at=now
        )
        if not claimed:
            return None
        message = InboundMessage.objects.select_related("network").get(pk=message_id)
        result = inbound.dispatch(message)
        if result is not None:
            InboundMessage.objects.filter(pk=message_id).update(handled_by=result.handler)
            if result.reply:
                outbox_write(
                    network=message.network,
                    channel=message.channel,
                    to=message.from_address,
                    body=result.reply,
                    purpose="reply",
                    language=result.language,
                )
        if message.channel in TRANSPORTS:  # e.g. Twilio deletes its copy of the text
            get_transport(message.channel).received(message)
    return result.handler if result is not None else ""


def inbound_pending(*, now: datetime | None = None, limit: int = SWEEP_LIMIT) -> list[int]:
    """Messages stored more than PENDING_LOST_AFTER ago and still not handled."""
    now = now or timezone.now()
    return list(
        InboundMessage.objects.filter(
            handled_at__isnull=True, received_at__lt=now - PENDING_LOST_AFTER
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )


def inbound_receive(
    *, network: Network, channel: str, from_address: str, body: str, provider_ref: str = ""
) -> InboundMessage:
    """Store a message and run the inbound handlers now; idempotent on the provider id."""
    message = inbound_store(
        network_id=network.pk,
        channel=channel,
        from_address=from_address,
        body=body,
        provider_ref=provider_ref,
    )
    if message is None:
        return InboundMessage.objects.get(channel=channel, provider_ref=provider_ref)
    inbound_handle(message_id=message.pk)
    message.refresh_from_db(fields=["handled_by", "handled_at"])
    return message
