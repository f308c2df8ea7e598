"""Signal through signal-cli's REST API (bbernhard/signal-cli-rest-api), best effort.

Signal has no official API for bots: this drives a self-hosted signal-cli registered
to a number the network controls. It can be slowed down or cut off (captchas, rate
limits, an unregistered number) at any time, so Signal is NEVER THE ONLY PATH for an
alert: a person must also have SMS, a call or email in their channel order.

Settings (read with ``getattr``):

- ``SIGNAL_API_BASE`` — the REST API's base URL, e.g. ``http://signal-cli:8080``
  (keep it on a private network; it has no authentication).
- ``SIGNAL_NUMBER`` — the registered sender number (E.164).

``POST /v2/send {"message", "number", "recipients": [to]}``; 201 → sent (the
timestamp is the provider ref). A 400 saying the recipient is unregistered or the
number is invalid is permanent; every other failure is transient.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from amparo.channels.base import ProviderRef, Transport, TransportError
from amparo.channels.models import Delivery
from amparo.lib import http

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
        try:
            response = http.post(f"{base}/v2/send", json=payload, timeout=TIMEOUT)
        except http.HttpError as exc:
            raise TransportError(f"signal: {exc.kind}", permanent=False) from None
        try:
            data: Any = response.json()
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        if response.status_code in (200, 201):
            return ProviderRef(id=f"signal-{data.get('timestamp', '')}")
        error = str(data.get("error") or "").lower()
        if response.status_code == 400 and any(m in error for m in PERMANENT_MARKERS):
            # a fixed label: signal-cli's error text contains the recipient's number
            label = "unregistered" if "registered" in error else "invalid number"
            raise TransportError(f"signal: 400 {label}", permanent=True)
        raise TransportError(f"signal: {response.status_code}", permanent=False)
