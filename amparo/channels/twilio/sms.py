"""The SMS webhook (a text to a network's hotline number) and ``twilio_status``.

A text is stored once per ``MessageSid`` and handed to the inbound handlers (STOP/START,
confirmations, HELP, conversations…); any reply goes out as a Delivery, so the
webhook answers with empty TwiML at once. Twilio's copy is then deleted (cleanup.py).

``twilio_status`` gets the status callbacks of texts sent (``MessageSid``: recorded on
the Delivery; a final one deletes Twilio's copy) and of hotline calls (``CallSid``, the
number's voice status callback: handed to ``settings.TWILIO_CALL_STATUS_HOOK``).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string
from twilio.twiml.messaging_response import MessagingResponse

from amparo.channels.models import Delivery
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


#: Message statuses Amparo records (the others are steps on the way).
MESSAGE_FINAL = {"delivered", "undelivered", "failed"}


def _message_status(request: HttpRequest) -> HttpResponse:
    sid = sid_param(request, "MessageSid")
    delivery = Delivery.objects.filter(channel="twilio_sms", provider_ref=sid).first()
    if delivery is None:
        raise BadRequest(404, "unknown message")
    status = request.POST.get("MessageStatus", "")
    if status in MESSAGE_FINAL:
        # final at Twilio: its copy (body, numbers) can go; Amparo keeps the id
        schedule(provider_ref=sid, direction="out", network_id=delivery.network_id)
    if status == "delivered":
        Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENT).update(
            status=Delivery.Status.DELIVERED
        )
    elif status in ("undelivered", "failed"):
        code = (request.POST.get("ErrorCode") or "")[:10]
        Delivery.objects.filter(
            pk=delivery.pk, status__in=[Delivery.Status.SENT, Delivery.Status.SENDING]
        ).update(status=Delivery.Status.FAILED, error=f"twilio: {status} {code}".strip()[:200])
    return HttpResponse(status=204)


@twilio_webhook
def status(request: HttpRequest) -> HttpResponse:
    """Status callbacks for calls (``CallSid``) and for texts (``MessageSid``)."""
    if "MessageSid" in request.POST and "CallSid" not in request.POST:
        try:
            return _message_status(request)
        except BadRequest as exc:
            return refuse(request, exc)
    response: HttpResponse = import_string(settings.TWILIO_CALL_STATUS_HOOK)(request)
    return response
