"""The sandbox transports: "send" by storing the message on the sandbox phone, as a text
(``sandbox``) or a call (``sandbox_voice``, answered with the keypad). For the demo and
tests, numbers ending in 9999 fail permanently and 9998 transiently.
"""

from __future__ import annotations

from amparo.channels.base import ProviderRef, Transport, TransportError
from amparo.channels.models import Delivery

from .services import sandbox_record_outbound

PERMANENT_FAILURE_SUFFIX = "9999"
TRANSIENT_FAILURE_SUFFIX = "9998"


class SandboxTransport(Transport):
    slug = "sandbox"
    rate_per_second = 100.0

    def send(self, delivery: Delivery) -> ProviderRef:
        number = delivery.to_address or ""
        if number.endswith(PERMANENT_FAILURE_SUFFIX):
            raise TransportError("sandbox: this number does not exist", permanent=True)
        if number.endswith(TRANSIENT_FAILURE_SUFFIX):
            raise TransportError("sandbox: the network is busy, try later", permanent=False)
        message = sandbox_record_outbound(delivery=delivery)
        return ProviderRef(id=f"sandbox-{message.pk}")


class SandboxVoiceTransport(SandboxTransport):
    """A call to the sandbox phone: the same store, marked ``sandbox_voice`` by its channel."""

    slug = "sandbox_voice"
    rate_per_second = 100.0
