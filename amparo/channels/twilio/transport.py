"""Texts through Twilio's Messages API (the official client's ``messages.create``)."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from twilio.base.exceptions import TwilioRestException

from amparo.channels.base import ProviderRef, Transport, TransportError
from amparo.channels.models import Delivery, InboundMessage
from amparo.lib import http

from .cleanup import schedule
from .client import TwilioNotConfigured, twilio_client
from .security import public_url

#: A message Twilio has not handed on within this many seconds is dropped (a text
#: about a raid four hours late does more harm than good). The longest any text gets.
VALIDITY_SECONDS = 4 * 3600
#: Shorter lives for kinds of text that are useless sooner. A delivery's own expiry
#: (alerts and pages: the alert's end; verification requests: the request's end;
#: sign-up codes) is used whenever it comes first.
PURPOSE_VALIDITY_SECONDS = {
    "hotline-ring": 5 * 60,  # "pick up, someone is calling": minutes
    "hotline-voicemail": 60 * 60,  # a voicemail waiting for a callback
    "verify": 90 * 60,
    "alert": 60 * 60,
    "alert-members": 60 * 60,
    "page": 60 * 60,
    "drill": 60 * 60,
}


def validity_seconds(delivery: Delivery, now: datetime | None = None) -> int:
    """How long Twilio may keep trying: the kind's validity, capped by the delivery's expiry."""
    limit = PURPOSE_VALIDITY_SECONDS.get(delivery.purpose, VALIDITY_SECONDS)
    if delivery.expires_at is not None:
        remaining = (delivery.expires_at - (now or timezone.now())).total_seconds()
        limit = min(limit, int(remaining))
    return max(1, min(limit, VALIDITY_SECONDS))


#: Twilio error codes that retrying cannot fix, each with the channels the number
#: itself cannot take (marked so on the person's phone); the others are retried.
PERMANENT_CODES: dict[int, tuple[str, ...]] = {
    21211: ("sms", "voice"),  # invalid 'To' number
    21408: (),  # permission to send to this region not enabled
    21610: (),  # the recipient replied STOP: their opt-out says so, and START undoes it
    21612: (),  # not reachable from this 'From'
    21614: ("sms",),  # 'To' is not a mobile number
    21617: (),  # body too long
    21635: ("sms",),  # not a valid mobile number
    30005: ("sms",),  # unknown destination
    30006: ("sms",),  # landline or unreachable carrier
}


def twilio_error(label: str, code: int, status: object, channel: str) -> TransportError:
    """Twilio's refusal of a text or call (``channel``), as the outbox reads it."""
    return TransportError(
        f"{label}: error {code or status}",
        permanent=code in PERMANENT_CODES,
        unreachable=channel if channel in PERMANENT_CODES.get(code, ()) else "",
    )


class TwilioSMSTransport(Transport):
    slug = "twilio_sms"
    rate_per_second = 1.0  # a long code; a short code or messaging service sends faster

    def send(self, delivery: Delivery) -> ProviderRef:
        sender = (settings.TWILIO_FROM_NUMBER or "").strip()
        try:
            if not sender:
                raise TwilioNotConfigured("no TWILIO_FROM_NUMBER")
            message = twilio_client().messages.create(
                to=delivery.to_address,
                from_=sender,
                body=delivery.body,
                validity_period=validity_seconds(delivery),
                status_callback=public_url(reverse("twilio_status")),
            )
        except TwilioNotConfigured:
            raise TransportError("twilio: not configured", permanent=False) from None
        except TwilioRestException as exc:
            raise twilio_error("twilio", int(exc.code or 0), exc.status, "sms") from None
        except http.HttpError as exc:  # connection refused, timeout (amparo/lib/http.py)
            raise TransportError(f"twilio: {exc.kind}", permanent=False) from None
        except Exception as exc:  # Twilio's, OSError, anything else the client raises
            raise TransportError(f"twilio: {type(exc).__name__}", permanent=False) from None
        return ProviderRef(id=str(message.sid))

    def warm(self) -> None:
        reverse("twilio_status")  # loads the URLconf (every app's views: seconds)
        with suppress(TwilioNotConfigured):
            twilio_client().messages  # noqa: B018 - imports the Messages API's modules

    def received(self, message: InboundMessage) -> None:
        # stored (sealed) here: Twilio's copy of the text and the sender's number can go
        schedule(provider_ref=message.provider_ref, direction="in", network_id=message.network_id)
