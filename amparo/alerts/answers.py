"""Answers to an alert (SMS replies, voice keypresses, the magic link), all updating the
one ``AlertRecipient`` a person has per alert.

Words (case and accents ignored): "1", "YES", "SI", "SÍ", "VOY" → going; "2", "NO" →
not going; a number 3–240 → going, that many minutes away; "LLEGUÉ", "ARRIVED" → arrived.
``arrived`` is final; ``going`` and ``not_going`` may replace each other (the dispatcher
must see the latest); never back to ``pending``. A later "going" keeps an earlier ETA.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from amparo.channels import inbound
from amparo.channels.models import InboundMessage
from amparo.lib.crypto.blind import fold
from amparo.people.identity import text_sender
from amparo.people.models import Person
from amparo.reports.models import VerificationRequest

from .models import Alert, AlertRecipient
from .outbox import recipient_answered_stop
from .services import token_hash

log = logging.getLogger(__name__)

R = AlertRecipient.Status
HANDLER = "alerts.answer"
MIN_ETA, MAX_ETA = 3, 240
GOING_WORDS = {"1", "yes", "y", "si", "voy", "going", "ok"}
NOT_GOING_WORDS = {"2", "no", "n"}
ARRIVED_WORDS = {"llegue", "arrived", "aqui", "here", "llegamos"}


def parse_reply(text: str) -> tuple[str, int | None] | None:
    """(status, eta minutes) from a reply, else None."""
    words = fold(text or "").replace(",", " ").replace(".", " ").replace("!", " ").split()
    if not words:
        return None
    first = words[0].strip("¡¿?")
    if words[:2] == ["no", "se"]:  # "NO SÉ" answers a verification request, not an alert
        return None
    if first in ARRIVED_WORDS:
        return R.ARRIVED, None
    if first in NOT_GOING_WORDS:
        return R.NOT_GOING, None
    if first.isdigit():
        minutes = int(first)
        if minutes == 1:
            return R.GOING, None
        if MIN_ETA <= minutes <= MAX_ETA:
            return R.GOING, minutes
        return None
    if first in GOING_WORDS:
        eta = next((int(w) for w in words[1:] if w.isdigit()), None)
        if eta is not None and not MIN_ETA <= eta <= MAX_ETA:
            eta = None
        return R.GOING, eta
    return None


def recipient_is_open(recipient: AlertRecipient) -> bool:
    alert = recipient.alert
    if alert.status != Alert.Status.SENDING:
        return False
    return alert.expires_at is None or alert.expires_at > timezone.now()


def voice_answer(*, recipient: AlertRecipient, answer: str) -> bool:
    """TWILIO_VOICE_ANSWER_HOOK: a key pressed on a call-out; False if the alert is closed."""
    if not recipient_is_open(recipient):
        return False
    answer_record(recipient=recipient, answer=answer, via="voice")
    return True


def answer_record(
    *, recipient: AlertRecipient, answer: str, via: str, eta: int | None = None
) -> AlertRecipient:
    """Record an answer (order: module docstring); stop chasing the person on every channel."""
    if answer not in (R.GOING, R.NOT_GOING, R.ARRIVED):
        raise ValueError("unknown answer")
    if eta is not None and not MIN_ETA <= eta <= MAX_ETA:
        eta = None
    now = timezone.now()
    fields: dict[str, object] = {"status": answer, "answered_via": via[:20]}
    if answer == R.ARRIVED:
        fields["arrived_at"] = now
    if answer == R.GOING and eta is not None:
        fields["eta_minutes"] = eta
    if answer == R.NOT_GOING:
        fields["eta_minutes"] = None
    with transaction.atomic():
        qs = AlertRecipient.objects.filter(pk=recipient.pk).exclude(status=R.ARRIVED)
        qs.filter(answered_at__isnull=True).update(answered_at=now)
        qs.update(**fields)
    recipient.refresh_from_db()
    recipient_answered_stop(recipient)
    return recipient


def recipient_for_token(token: str) -> AlertRecipient | None:
    if not token or len(token) > 100:
        return None
    return (
        AlertRecipient.objects.filter(token_hash=token_hash(token))
        .select_related("alert__network", "alert__facility", "alert__incident")
        .first()
    )


def going_count(alert: Alert) -> int:
    return alert.recipients.filter(status__in=[R.GOING, R.ARRIVED]).count()


def confirmation_text(recipient: AlertRecipient) -> str:
    with translation.override(recipient.language):
        if recipient.status == R.ARRIVED:
            return _("Thank you: marked as arrived.")
        if recipient.status == R.NOT_GOING:
            return _("Thank you: marked as not going.")
        where = _("Where to go: the link in the alert's text.")
        if recipient.eta_minutes:
            going = _("Thank you: marked as going, %(minutes)d minutes away.") % {
                "minutes": recipient.eta_minutes
            }
        else:
            going = _("Thank you: marked as going.")
        return f"{going} {where}"


def _codes_in(text: str) -> list[str]:
    """4-digit codes after the first word ("1 4821", "NO 4821")."""
    words = fold(text or "").replace("#", " ").split()
    return [w for w in words[1:] if w.isdigit() and len(w) == 4]


def open_recipient(message: InboundMessage, people: list[Person]) -> AlertRecipient | None:
    """The sender's open recipient here: the one whose code the reply carries, else the latest."""
    now = timezone.now()
    candidates = (
        AlertRecipient.objects.filter(
            alert__network_id=message.network_id,
            alert__status=Alert.Status.SENDING,
            person__in=people,
        )
        .exclude(alert__expires_at__lte=now)
        .select_related("alert")
        .order_by("-alert__launched_at", "-pk")
    )
    codes = _codes_in(message.body or "")
    if codes:
        return candidates.filter(code__in=codes).first()
    return candidates.first()


def _verification_code(message: InboundMessage, people: list[Person]) -> bool:
    """The reply carries the code of the sender's open verification request: not ours."""
    codes = _codes_in(message.body or "")
    if not codes:
        return False

    return VerificationRequest.objects.filter(
        incident__network_id=message.network_id,
        verifier__in=people,
        answered_at__isnull=True,
        expires_at__gt=timezone.now(),
        code__in=codes,
    ).exists()


def alert_answer_inbound(message: InboundMessage) -> inbound.Handled | None:
    parsed = parse_reply(message.body or "")
    if parsed is None:
        return None
    people = text_sender(network=message.network, address=message.from_address).people
    if not people or _verification_code(message, people):
        return None
    recipient = open_recipient(message, people)
    if recipient is None:
        return None
    answer, eta = parsed
    recipient = answer_record(recipient=recipient, answer=answer, via=message.channel, eta=eta)
    return inbound.Handled(
        handler=HANDLER, reply=confirmation_text(recipient), language=recipient.language
    )
