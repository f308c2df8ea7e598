"""Signal through signal-cli's REST API (bbernhard/signal-cli-rest-api), best effort.

Signal has no bot API: this drives a self-hosted signal-cli that can be cut off at any time
(captchas, rate limits), so Signal is NEVER THE ONLY PATH for an alert: a person must also
have SMS, a call or email. ``SIGNAL_API_BASE`` has no authentication: keep it on a private
network. An unregistered recipient or invalid number (400) is permanent; the rest transient.
"""

from __future__ import annotations

from django.conf import settings

from amparo.channels.base import ProviderRef, Transport, TransportError, post_json
from amparo.channels.models import Delivery

TIMEOUT = (5.0, 30.0)  # signal-cli can be slow to send
PERMANENT_MARKERS = ("unregistered", "invalid number", "invalid phone number", "not registered")


class SignalTransport(Transport):
    slug = "signal"
    #: Signal throttles new and busy senders hard: keep it slow.
    rate_per_second = 0.5

    def send(self, delivery: Delivery) -> ProviderRef:
        base = settings.SIGNAL_API_BASE.strip().rstrip("/")
        number = settings.SIGNAL_NUMBER.strip()
        if not base or not number:
            raise TransportError("signal: not configured", permanent=False)
        to = (delivery.to_address or "").strip()
        if not to:
            raise TransportError("signal: no address", permanent=True)
        payload = {"message": delivery.body, "number": number, "recipients": [to]}
        status, data = post_json(self.slug, f"{base}/v2/send", payload, TIMEOUT)
        if status in (200, 201):
            return ProviderRef(id=f"signal-{data.get('timestamp', '')}")
        error = str(data.get("error") or "").lower()
        if status == 400 and any(m in error for m in PERMANENT_MARKERS):
            # a fixed label: signal-cli's error text contains the recipient's number
            label = "unregistered" if "registered" in error else "invalid number"
            raise TransportError(f"signal: 400 {label}", permanent=True)
        raise TransportError(f"signal: {status}", permanent=False)
