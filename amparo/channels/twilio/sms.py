"""The SMS webhook: a text to a network's hotline number.

Stored once per ``MessageSid`` and handed to the inbound handlers (STOP/START,
confirmations, HELP, conversations…); any reply goes out as a Delivery, so the
webhook answers with empty TwiML at once. Twilio's copy is then deleted (cleanup.py).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from twilio.twiml.messaging_response import MessagingResponse

from amparo.channels.services import inbound_receive

from .cleanup import schedule
from .common import BadRequest, network_for_number, refuse, sid_param, twiml
from .security import twilio_webhook

CHANNEL = "twilio_sms"
MAX_BODY_CHARS = 1600  # Twilio's own limit for one message


@twilio_webhook
def sms(request: HttpRequest) -> HttpResponse:
    try:
        sid = sid_param(request, "MessageSid")
        network = network_for_number(request.POST.get("To", ""))
        sender = (request.POST.get("From") or "").strip()[:32]
        if not sender:
            raise BadRequest(400, "missing From")
    except BadRequest as exc:
        return refuse(request, exc)
    inbound_receive(
        network=network,
        channel=CHANNEL,
        from_address=sender,
        body=(request.POST.get("Body") or "")[:MAX_BODY_CHARS],
        provider_ref=sid,
    )
    # stored (sealed) here: Twilio's copy of the text and the sender's number can go
    schedule(provider_ref=sid, direction="in", network_id=network.pk)
    return twiml(MessagingResponse())
