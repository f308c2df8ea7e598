"""The SMS webhook (a text to a network's hotline number) and ``twilio_status``.

Store and go: a text is stored (sealed) once per ``MessageSid`` and the webhook answers
empty TwiML at once; a worker hands it to the inbound handlers and Twilio's copy is
deleted. ``twilio_status`` updates a sent text's Delivery, or hands a hotline call's
status to ``settings.TWILIO_CALL_STATUS_HOOK``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string
from twilio.twiml.messaging_response import MessagingResponse

from amparo.channels.base import unreachable_tell
from amparo.channels.models import Delivery
from amparo.channels.services import inbound_store
from amparo.channels.tasks import inbound_enqueue

from .cleanup import schedule_task
from .common import BadRequest, network_id_for_number, sid_param, twiml
from .security import twilio_webhook
from .transport import PERMANENT_CODES

CHANNEL = "twilio_sms"
MAX_BODY_CHARS = 1600  # Twilio's own limit for one message


@twilio_webhook
def sms(request: HttpRequest) -> HttpResponse:
    sid = sid_param(request, "MessageSid")
    network_id = network_id_for_number(request.POST.get("To", ""))
    sender = (request.POST.get("From") or "").strip()[:32]
    if not sender:
        raise BadRequest(400, "missing From")
    # Stored before the answer: a 200 means Amparo has it (a retry of the same
    # MessageSid is refused by the unique constraint and answered the same way).
    inbound_store(
        network_id=network_id,
        channel=CHANNEL,
        from_address=sender,
        body=(request.POST.get("Body") or "")[:MAX_BODY_CHARS],
        provider_ref=sid,
        enqueue=inbound_enqueue,
    )
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
        # final at Twilio: its copy (body, numbers) can go; Amparo keeps the id. A worker
        # writes the deletion; cleanup.final_sent_schedule catches a lost task.
        network_id = delivery.network_id
        transaction.on_commit(lambda: schedule_task(sid, "out", network_id))
    if status == "delivered":
        Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENT).update(
            status=Delivery.Status.DELIVERED
        )
    elif status in ("undelivered", "failed"):
        code = (request.POST.get("ErrorCode") or "")[:10]
        Delivery.objects.filter(
            pk=delivery.pk, status__in=[Delivery.Status.SENT, Delivery.Status.SENDING]
        ).update(status=Delivery.Status.FAILED, error=f"twilio: {status} {code}".strip()[:200])
        if "sms" in PERMANENT_CODES.get(int(code) if code.isdigit() else 0, ()):
            unreachable_tell(delivery, "sms")
    return HttpResponse(status=204)


@twilio_webhook
def status(request: HttpRequest) -> HttpResponse:
    """Status callbacks for calls (``CallSid``) and for texts (``MessageSid``)."""
    if "MessageSid" in request.POST and "CallSid" not in request.POST:
        return _message_status(request)
    response: HttpResponse = import_string(settings.TWILIO_CALL_STATUS_HOOK)(request)
    return response
