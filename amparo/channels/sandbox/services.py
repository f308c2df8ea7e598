from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from amparo.accounts.models import Network
from amparo.channels.models import Delivery, InboundMessage
from amparo.channels.services import inbound_receive
from amparo.lib.crypto.blind import blind_index

from .models import SandboxMessage, SandboxThread

CHANNEL = "sandbox"


def thread_for(*, network: Network, number: str) -> SandboxThread:
    index = blind_index("address", number.strip())
    thread = SandboxThread.objects.filter(network=network, number_index=index).first()
    if thread is not None:
        return thread
    try:
        with transaction.atomic():
            return SandboxThread.objects.create(network=network, number=number.strip())
    except IntegrityError:  # created by a concurrent send
        return SandboxThread.objects.get(network=network, number_index=index)


def sandbox_record_outbound(*, delivery: Delivery) -> SandboxMessage:
    thread = thread_for(network=delivery.network, number=delivery.to_address)
    now = timezone.now()
    SandboxThread.objects.filter(pk=thread.pk).update(last_at=now)
    return SandboxMessage.objects.create(
        thread=thread,
        direction=SandboxMessage.Direction.OUT,
        body=delivery.body,
        delivery=delivery,
        created_at=now,
    )


@transaction.atomic
def sandbox_reply(*, thread: SandboxThread, body: str) -> InboundMessage:
    """The person at the sandbox phone answers: the same path a real SMS reply takes."""
    now = timezone.now()
    message = SandboxMessage.objects.create(
        thread=thread, direction=SandboxMessage.Direction.IN, body=body, created_at=now
    )
    SandboxThread.objects.filter(pk=thread.pk).update(last_at=now)
    inbound = inbound_receive(
        network=thread.network,
        channel=CHANNEL,
        from_address=thread.number,
        body=body,
        provider_ref=f"sandbox-in-{message.pk}",
    )
    message.inbound = inbound
    message.save(update_fields=["inbound"])
    return inbound
