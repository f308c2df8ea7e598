"""Alerts by phone call (the ``twilio_voice`` transport) and the keypress answer.

:class:`TwilioVoiceTransport` places the call; on pick-up Twilio fetches
``twilio_voice_alert?d=<signed delivery id>``, which reads the body in the delivery's
language and asks for a key (1 going, 2 not), recorded through
``settings.TWILIO_VOICE_ANSWER_HOOK``. The status callback marks the delivery delivered or
failed (so the outbox fails over) and schedules the call's deletion at Twilio.

Every view is signature-checked; ``d`` is also signed with Django's signer (salted, valid
``LINK_MAX_AGE``), so a valid Twilio signature on a forged ``d`` is not enough, and no
personal data is in the URL. Settings: the SMS transport's.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from twilio.base.exceptions import TwilioRestException
from twilio.twiml.voice_response import Gather, VoiceResponse

from amparo.channels.base import ProviderRef, Transport, TransportError
from amparo.channels.models import Delivery

from .cleanup import schedule_call
from .client import TwilioNotConfigured, twilio_client
from .common import BadRequest, hang_up, hook_url, say, sid_param
from .security import twilio_webhook
from .transport import twilio_error

log = logging.getLogger(__name__)

SLUG = "twilio_voice"
SALT = "amparo.channels.twilio.voice_alert"
LINK_MAX_AGE = 24 * 3600
RING_SECONDS = 30
GATHER_SECONDS = 8
ANSWERS = {"1": "going", "2": "not_going"}
CALL_FAILED = {"busy", "no-answer", "failed", "canceled"}


def delivery_token(delivery_id: int) -> str:
    return signing.dumps(delivery_id, salt=SALT)


class TwilioVoiceTransport(Transport):
    slug = SLUG
    rate_per_second = 1.0  # Twilio's default: one outbound call per second per account

    def send(self, delivery: Delivery) -> ProviderRef:
        sender = settings.TWILIO_FROM_NUMBER.strip()
        token = delivery_token(delivery.pk)
        try:
            if not sender:
                raise TwilioNotConfigured("no TWILIO_FROM_NUMBER")
            call = twilio_client().calls.create(
                to=delivery.to_address,
                from_=sender,
                url=hook_url("twilio_voice_alert", d=token),
                method="POST",
                status_callback=hook_url("twilio_voice_alert_status", d=token),
                status_callback_method="POST",
                timeout=RING_SECONDS,
            )
        except TwilioNotConfigured:
            raise TransportError("twilio voice: not configured", permanent=False) from None
        except TwilioRestException as exc:
            raise twilio_error("twilio voice", int(exc.code or 0), exc.status, "voice") from None
        except Exception as exc:  # Twilio's, OSError, requests' (connection refused, timeout)
            raise TransportError(f"twilio voice: {type(exc).__name__}", permanent=False) from None
        return ProviderRef(id=str(call.sid))


def _delivery(request: HttpRequest) -> tuple[Delivery, str]:
    token = request.GET.get("d", "")
    try:
        delivery_id = signing.loads(token, salt=SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature:
        raise BadRequest(404, "unknown call-out") from None
    delivery = (
        Delivery.objects.filter(pk=delivery_id, channel=SLUG)
        .select_related("recipient__alert")
        .first()
    )
    if delivery is None:
        raise BadRequest(404, "unknown call-out")
    return delivery, token


def _language(delivery: Delivery) -> str:
    return delivery.language if delivery.language in ("en", "es") else "en"


def _ask(response: VoiceResponse, delivery: Delivery, token: str, *, with_message: bool) -> None:
    language = _language(delivery)
    with translation.override(language):
        prompt = _("Press 1 if you can go. Press 2 if you cannot.")
    gather = Gather(
        num_digits=1,
        action=hook_url("twilio_voice_alert_answer", d=token),
        method="POST",
        timeout=GATHER_SECONDS,
    )
    if with_message:
        say(gather, delivery.body, language)
    say(gather, prompt, language)
    response.append(gather)


def _goodbye(response: VoiceResponse, delivery: Delivery, text: str = "") -> HttpResponse:
    """Say ``text`` (by default: no answer came) and hang up."""
    language = _language(delivery)
    with translation.override(language):
        text = text or _(
            "We did not get an answer. Please answer the message we sent you. Goodbye."
        )
    return hang_up(response, text, language)


@twilio_webhook
def voice_alert(request: HttpRequest) -> HttpResponse:
    """The person picked up: the message, then the question (asked twice)."""
    delivery, token = _delivery(request)
    response = VoiceResponse()
    _ask(response, delivery, token, with_message=True)
    _ask(response, delivery, token, with_message=True)
    return _goodbye(response, delivery)


def _record(delivery: Delivery, answer: str) -> bool:
    """Record the answer (TWILIO_VOICE_ANSWER_HOOK); False if the alert takes no answers."""
    recipient = delivery.recipient
    if recipient is None:  # a call-out that is not an alert: keep the key on the delivery
        Delivery.objects.filter(pk=delivery.pk).update(error=f"voice answer: {answer}")
        return True
    return bool(
        import_string(settings.TWILIO_VOICE_ANSWER_HOOK)(recipient=recipient, answer=answer)
    )


@twilio_webhook
def voice_alert_answer(request: HttpRequest) -> HttpResponse:
    """The key pressed: 1 going, 2 not going, anything else → asked again."""
    delivery, token = _delivery(request)
    response = VoiceResponse()
    answer = ANSWERS.get((request.POST.get("Digits") or "").strip())
    if answer is None:
        _ask(response, delivery, token, with_message=False)
        return _goodbye(response, delivery)
    recorded = _record(delivery, answer)
    with translation.override(_language(delivery)):
        if not recorded:
            text = _("This alert is closed. Thank you.")
        elif answer == "going":
            text = _("Thank you. You are on the list of people going. Check your messages.")
        else:
            text = _("Thank you for answering.")
    return _goodbye(response, delivery, text)


@twilio_webhook
def voice_alert_status(request: HttpRequest) -> HttpResponse:
    """The call ended: answered → delivered; not answered → failed (fail over)."""
    delivery, _token = _delivery(request)
    call_status = (request.POST.get("CallStatus") or "").strip()
    sent = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENT)
    if call_status == "completed":
        sent.update(status=Delivery.Status.DELIVERED)
    elif call_status in CALL_FAILED:
        sent.update(status=Delivery.Status.FAILED, error=f"twilio voice: {call_status}")
    if call_status == "completed" or call_status in CALL_FAILED:
        # The call is over: Twilio's record of it (both numbers) can go (cleanup.py).
        try:
            call_sid = delivery.provider_ref or sid_param(request, "CallSid")
        except BadRequest:
            call_sid = ""
        schedule_call(call_sid=call_sid, direction="out", network_id=delivery.network_id)
    return HttpResponse(status=204)
