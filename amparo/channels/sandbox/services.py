from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from amparo.accounts.models import Network
from amparo.channels.models import Delivery, InboundMessage
from amparo.channels.services import inbound_receive
from amparo.lib.crypto.blind import blind_index

from .models import SandboxMessage, SandboxThread

CHANNEL = "sandbox"
VOICE = "sandbox_voice"
#: a key pressed on a call-out, as on a real one (channels/twilio/voice_alert.py)
KEYS = {"1": "going", "2": "not_going"}


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


@transaction.atomic
def sandbox_call_answer(*, thread: SandboxThread, message_id: int, key: str) -> bool | None:
    """The person at the sandbox phone presses a key on a call Amparo made: recorded as a
    real call's keypress is (``settings.TWILIO_VOICE_ANSWER_HOOK``). None for a key or a
    call that is not one; False when the alert no longer takes answers."""
    call = (
        SandboxMessage.objects.filter(
            pk=message_id, thread=thread, direction=SandboxMessage.Direction.OUT
        )
        .filter(delivery__channel=VOICE)
        .select_related("delivery__recipient")
        .first()
    )
    answer = KEYS.get(key)
    if call is None or call.delivery is None or answer is None:
        return None
    SandboxMessage.objects.create(
        thread=thread,
        direction=SandboxMessage.Direction.IN,
        body=key,
        delivery=call.delivery,
        created_at=timezone.now(),
    )
    recipient = call.delivery.recipient
    if recipient is None:
        return True
    return bool(
        import_string(settings.TWILIO_VOICE_ANSWER_HOOK)(recipient=recipient, answer=answer)
    )
