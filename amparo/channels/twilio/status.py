"""``twilio_status``: the status callbacks of texts sent (``MessageSid``) and of hotline
calls (``CallSid``; the voice status callback configured on the number).

A text's final status is recorded on its Delivery, and Twilio's copy is scheduled for
deletion (``cleanup.py``). A call's status goes to the app that answers calls
(``settings.TWILIO_CALL_STATUS_HOOK``: the hotline's call flow), which schedules the
call's deletion at Twilio once it ended.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

from amparo.channels.models import Delivery

from .cleanup import schedule
from .common import BadRequest, refuse, sid_param
from .security import twilio_webhook

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
