"""Texts to the hotline: HELP/AYUDA/INFO, and the catch-all that opens conversations.

:func:`hotline_inbound` is the last of ``settings.INBOUND_HANDLERS``, for the hotline's
channels only: any other text joins its number's conversation and gets the automatic
reply. Nothing is ever sent back to a short code, a sender name or one of Amparo's own
numbers (:func:`answerable`): two automatic senders must never text each other in a loop.
"""

from __future__ import annotations

import logging
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from amparo.accounts.models import Network
from amparo.channels import inbound
from amparo.channels.models import InboundMessage
from amparo.lib.crypto.blind import fold
from amparo.lib.phones import display_phone, normalize_phone
from amparo.people.identity import text_sender

from .conversations import conversation_acknowledge, conversation_append, language_guess

log = logging.getLogger(__name__)

HANDLER = "hotline.keywords"
HOTLINE_CHANNELS = {"sandbox", "twilio_sms"}
HELP_WORDS = {"help": "en", "info": "", "ayuda": "es", "informacion": "es", "auxilio": "es"}

# GSM 03.38 basic set: a message only in these characters fits 160 per segment
# (153 when split); one character outside it makes the whole message UCS-2 (70/67).
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXT = set("^{}\\[~]|€")


def sms_segments(text: str) -> int:
    if all(c in GSM7 or c in GSM7_EXT for c in text):
        units = sum(2 if c in GSM7_EXT else 1 for c in text)
        return 1 if units <= 160 else -(-units // 153)
    units = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
    return 1 if units <= 70 else -(-units // 67)


def sms_fit(text: str) -> str:
    """Replace characters outside GSM-7 (á, —, curly quotes): 153 characters a segment, not 67."""
    plain = {"—": "-", "–": "-", "“": '"', "”": '"', "‘": "'", "’": "'", "…": "..."}
    out = []
    for c in text:
        if c in GSM7 or c in GSM7_EXT:
            out.append(c)
        elif c in plain:
            out.append(plain[c])
        else:
            folded = "".join(
                x for x in unicodedata.normalize("NFKD", c) if not unicodedata.combining(x)
            )
            out.append(folded if folded and all(x in GSM7 for x in folded) else "?")
    return "".join(out)


def help_text(*, network_name: str, hotline_number: str, language: str) -> str:
    """Know-your-rights in two SMS segments at most (DOMAIN.md §4)."""
    number = display_phone(hotline_number) if hotline_number else ""
    with translation.override(language):
        text = _(
            "%(network)s 24h hotline: %(number)s. Your rights: stay calm, do not run. You may "
            "stay silent. Sign nothing; ask for a lawyer. Do not open the door: ask for a "
            "warrant signed by a judge. Never lie. General info, not legal advice."
        ) % {"network": network_name[:30], "number": number}
    return two_segments(text)


def two_segments(text: str) -> str:
    text = sms_fit(text)
    while sms_segments(text) > 2:  # a long translation must still fit
        text = text[: len(text) - 10].rstrip() + "..."
    return text


def ack_text(*, network_name: str, hotline_number: str, language: str) -> str:
    """The automatic reply to a text: a responder will write back; in danger, call the
    hotline; the person's rights in one line (DOMAIN.md §4). Two SMS segments at most."""
    number = display_phone(hotline_number) if hotline_number else ""
    with translation.override(language):
        if number:
            text = _(
                "%(network)s hotline: we got your text. A responder will write back soon. In "
                "danger? Call %(number)s. Your rights: stay silent, sign nothing, do not open "
                "the door without a warrant signed by a judge."
            ) % {"network": network_name[:30], "number": number}
        else:
            text = _(
                "%(network)s hotline: we got your text. A responder will write back soon. In "
                "danger? Call 911. Your rights: stay silent, sign nothing, do not open the door "
                "without a warrant signed by a judge."
            ) % {"network": network_name[:30]}
    return two_segments(text)


def answerable(*, network: Network, channel: str, address: str) -> bool:
    """Whether an automatic text may go back to ``address``: a phone number that is not a
    short code, a sender name, or one of Amparo's own numbers (no reply loops)."""
    if channel not in HOTLINE_CHANNELS:
        return False
    try:
        number = normalize_phone(address or "")  # short codes and names are no numbers
    except ValidationError:
        return False
    own = {settings.TWILIO_FROM_NUMBER, settings.SIGNAL_NUMBER, network.hotline_number}
    if number in own or address in own:
        return False
    return not Network.objects.filter(hotline_number=number).exists()


def hotline_inbound(message: InboundMessage) -> inbound.Handled | None:
    if message.channel not in HOTLINE_CHANNELS:
        return None
    body = message.body or ""
    word = fold(body).strip().strip(".!¡?¿").strip()
    network = message.network
    if word in HELP_WORDS:
        language = HELP_WORDS[word]
        if not language:
            language = text_sender(network=network, address=message.from_address).language
        if not answerable(network=network, channel=message.channel, address=message.from_address):
            return inbound.Handled(handler=HANDLER, language=language)
        reply = help_text(
            network_name=network.name, hotline_number=network.hotline_number, language=language
        )
        return inbound.Handled(handler=HANDLER, reply=reply, language=language)
    if not body.strip():
        return None
    conversation = conversation_append(message=message)
    if answerable(network=network, channel=message.channel, address=message.from_address):
        known = text_sender(network=network, address=message.from_address).person
        language = known.language if known else language_guess(body, conversation.language)
        try:
            conversation_acknowledge(
                conversation=conversation,
                channel=message.channel,
                body=ack_text(
                    network_name=network.name,
                    hotline_number=network.hotline_number,
                    language=language,
                ),
                language=language,
            )
        except Exception:  # the text is in its conversation: a failed reply must not undo that
            log.exception("automatic reply on conversation %s failed", conversation.pk)
    return inbound.Handled(handler="hotline.conversation", language=conversation.language)
