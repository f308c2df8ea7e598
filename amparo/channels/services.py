"""Receiving through any channel: ``inbound_receive`` stores what arrives (once per
provider id) and hands it to the inbound handlers; a handler's reply goes out through
the outbox (``amparo.channels.outbox``, which sends everything)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from amparo.accounts.models import Network

from . import inbound
from .models import InboundMessage
from .outbox import outbox_write


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
            outbox_write(
                network=network,
                channel=channel,
                to=from_address,
                body=result.reply,
                purpose="reply",
                language=result.language,
            )
    return message
