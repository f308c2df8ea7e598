"""The transport interface every channel implements (DESIGN.md, "Channels")."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, ClassVar

from django.dispatch import Signal

from amparo.lib import http

from .models import Delivery, InboundMessage

#: A provider said for good that a delivery's address cannot take ``channel`` ("sms"
#: or "voice"): sent with ``delivery`` and ``channel`` (people/reach.py listens).
address_unreachable = Signal()


def unreachable_tell(delivery: Delivery, channel: str) -> None:
    """Send :data:`address_unreachable`; a listener's failure is logged (its type only),
    never raised into the drain or the status callback that found it out."""
    for _receiver, result in address_unreachable.send_robust(
        Delivery, delivery=delivery, channel=channel
    ):
        if isinstance(result, Exception):
            logging.getLogger(__name__).error(
                "marking delivery %s's address unreachable failed (%s)",
                delivery.pk,
                type(result).__name__,
            )


class TransportError(Exception):
    """A send failed; ``permanent`` ones are never retried. ``unreachable``: the channel
    ("sms", "voice") the address itself cannot take (a landline for texts…). The message
    must not contain personal data: it is stored and may be shown."""

    def __init__(self, message: str, *, permanent: bool = False, unreachable: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent or bool(unreachable)
        self.unreachable = unreachable


def post_json(
    slug: str, url: str, payload: dict[str, Any], timeout: http.Timeout
) -> tuple[int, dict[str, Any]]:
    """POST ``payload`` to a provider's JSON API: the status and the answer's JSON object
    ({} when it is none). A failure to reach it is transient and names only its kind (the
    URL may hold a token)."""
    try:
        response = http.post(url, json=payload, timeout=timeout)
    except http.HttpError as exc:
        raise TransportError(f"{slug}: {exc.kind}", permanent=False) from None
    try:
        data = response.json()
    except ValueError:
        data = {}
    return response.status_code, data if isinstance(data, dict) else {}


@dataclass(frozen=True)
class ProviderRef:
    """The provider's id for a sent message, used to match status callbacks."""

    id: str


class Transport:
    slug: ClassVar[str] = ""
    #: Messages per second the route can take (DOMAIN.md §10); the outbox paces by it.
    rate_per_second: ClassVar[float] = 1.0

    def send(self, delivery: Delivery) -> ProviderRef:  # pragma: no cover - interface
        raise NotImplementedError

    def warm(self) -> None:
        """A worker starting: load what the first send would (its client library), so
        an alert's first texts do not wait for it."""

    def received(self, message: InboundMessage) -> None:
        """A message that came in on this channel has been handled (in the worker, in
        the handling's transaction): e.g. ask the provider to delete its copy."""
