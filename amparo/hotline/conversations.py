"""Text conversations with the hotline: anything no keyword handles.

Messages join the number's open :class:`Conversation` (found by blind index); nobody is
texted per message, so a flood from one number never floods responders. The automatic
reply (:func:`conversation_acknowledge`) goes once per ``HOTLINE_TEXT_ACK_HOURS`` a number,
never while a responder is writing, never to a short code or Amparo's own numbers (no reply
loops), at most ``HOTLINE_TEXT_ACK_MAX_PER_HOUR`` a network; it does not count as an answer.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from amparo.accounts.models import Network, User
from amparo.channels.models import InboundMessage
from amparo.channels.outbox import outbox_write
from amparo.channels.registry import sms_channel
from amparo.lib.crypto.blind import fold, phone_index
from amparo.lib.phones import normalize_phone
from amparo.people.identity import text_sender

from .models import Conversation, ConversationMessage

SPANISH_MARKS = set("áéíóúñ¿¡")
SPANISH_WORDS = {
    "hola", "ayuda", "necesito", "redada", "migra", "por", "favor", "gracias", "esta", "estan",
    "mi", "esposo", "esposa", "hijo", "trabajo", "que", "como", "donde", "aqui", "buenas",
    "buenos", "senora", "senor", "detenido", "detuvieron", "policia", "casa", "puerta",
}  # fmt: skip
ENGLISH_WORDS = {
    "hello", "hi", "help", "please", "the", "is", "are", "my", "need", "thanks", "thank",
    "what", "where", "raid", "work", "husband", "wife", "agents", "door", "detained",
}  # fmt: skip


def language_guess(text: str, default: str = "es") -> str:
    """Spanish if the text has Spanish accents or more Spanish than English words."""
    if SPANISH_MARKS & set(text.lower()):
        return "es"
    words = set("".join(c if c.isalnum() else " " for c in fold(text)).split())
    es, en = len(words & SPANISH_WORDS), len(words & ENGLISH_WORDS)
    if es > en:
        return "es"
    if en > es:
        return "en"
    return default


def number_normalize(address: str) -> str:
    try:
        return normalize_phone(address or "")
    except ValidationError:
        return (address or "").strip()


@transaction.atomic
def conversation_append(*, message: InboundMessage) -> Conversation:
    """Add an inbound message to its number's open conversation (opening one if needed)."""
    number = number_normalize(message.from_address)
    index = phone_index(number)
    network = message.network
    conversation = (
        Conversation.objects.select_for_update()
        .filter(network=network, number_index=index, status=Conversation.Status.OPEN)
        .order_by("-last_at")
        .first()
    )
    now = timezone.now()
    if conversation is None:
        person = text_sender(network=network, address=number).person
        default = (network.languages or ["es"])[0]
        language = person.language if person else language_guess(message.body or "", default)
        conversation = Conversation.objects.create(
            network=network, number=number, language=language, started_at=now, last_at=now
        )
    ConversationMessage.objects.create(
        conversation=conversation,
        direction=ConversationMessage.Direction.IN,
        body=(message.body or "")[:4000],
        inbound=message,
        at=now,
    )
    Conversation.objects.filter(pk=conversation.pk).update(last_at=now)
    return conversation


def conversations_open(*, network: Network, limit: int = 100) -> list[tuple[Conversation, int]]:
    """Open conversations, latest first, each with its count of messages awaiting an answer."""
    conversations = list(
        Conversation.objects.filter(network=network, status=Conversation.Status.OPEN).order_by(
            "-last_at"
        )[:limit]
    )
    rows = ConversationMessage.objects.filter(conversation__in=conversations).values_list(
        "conversation_id", "direction", "at", "author_id"
    )
    last_out: dict[int, Any] = {}
    incoming: dict[int, list[Any]] = {}
    for conversation_id, direction, at, author_id in rows:
        if direction == ConversationMessage.Direction.IN:
            incoming.setdefault(conversation_id, []).append(at)
        elif author_id is not None:  # a responder wrote (the automatic reply is no answer)
            last_out[conversation_id] = max(at, last_out.get(conversation_id, at))
    result = []
    for c in conversations:
        cutoff = last_out.get(c.pk)
        waiting = sum(1 for at in incoming.get(c.pk, []) if cutoff is None or at > cutoff)
        result.append((c, waiting))
    return result


def conversation_channel(conversation: Conversation) -> str:
    """The channel the person last wrote from (the reply goes back the same way)."""
    last = (
        ConversationMessage.objects.filter(conversation=conversation, inbound__isnull=False)
        .select_related("inbound")
        .order_by("-at", "-id")
        .first()
    )
    if last is not None and last.inbound is not None:
        return last.inbound.channel
    return sms_channel()


@transaction.atomic
def conversation_reply(
    *, conversation: Conversation, author: User, body: str
) -> ConversationMessage:
    delivery = outbox_write(
        network=conversation.network,
        channel=conversation_channel(conversation),
        to=conversation.number,
        body=body,
        purpose="hotline-conversation",
        language=conversation.language,
    )
    now = timezone.now()
    reply = ConversationMessage.objects.create(
        conversation=conversation,
        direction=ConversationMessage.Direction.OUT,
        body=body,
        author=author,
        delivery=delivery,
        at=now,
    )
    Conversation.objects.filter(pk=conversation.pk).update(last_at=now)
    if conversation.assigned_to_id is None:
        Conversation.objects.filter(pk=conversation.pk, assigned_to__isnull=True).update(
            assigned_to=author
        )
    return reply


def conversation_close(*, conversation: Conversation) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(status=Conversation.Status.CLOSED)
    conversation.status = Conversation.Status.CLOSED


def ack_window() -> timedelta:
    return timedelta(hours=max(1, settings.HOTLINE_TEXT_ACK_HOURS))


@transaction.atomic
def conversation_acknowledge(
    *, conversation: Conversation, channel: str, body: str, language: str
) -> ConversationMessage | None:
    """Send the automatic reply to the person who just wrote, unless their number had one
    within the window, a responder wrote to them within it, or the network sent its
    hour's share. The caller checked that the number may be answered at all."""
    now = timezone.now()
    since = now - ack_window()
    network = conversation.network
    if Conversation.objects.filter(
        network=network, number_index=conversation.number_index, acknowledged_at__gte=since
    ).exists():
        return None
    if ConversationMessage.objects.filter(
        conversation=conversation,
        direction=ConversationMessage.Direction.OUT,
        author__isnull=False,
        at__gte=since,
    ).exists():
        return None  # a responder is writing with them
    hour_ago = now - timedelta(hours=1)
    if (
        Conversation.objects.filter(network=network, acknowledged_at__gte=hour_ago).count()
        >= settings.HOTLINE_TEXT_ACK_MAX_PER_HOUR
    ):
        return None
    claimed = (
        Conversation.objects.filter(pk=conversation.pk)
        .filter(Q(acknowledged_at__isnull=True) | Q(acknowledged_at__lt=since))
        .update(acknowledged_at=now)
    )
    if not claimed:
        return None  # another text of theirs, at the same moment, got it
    delivery = outbox_write(
        network=network,
        channel=channel,
        to=conversation.number,
        body=body,
        purpose="hotline-text-ack",
        language=language,
        expires_at=now + timedelta(hours=1),
    )
    return ConversationMessage.objects.create(
        conversation=conversation,
        direction=ConversationMessage.Direction.OUT,
        body=body,
        delivery=delivery,
        at=now,
    )
