"""Texts to the hotline: HELP/AYUDA/INFO, and the catch-all that opens conversations.

:func:`hotline_inbound` is the last of ``settings.INBOUND_HANDLERS``: every keyword
handler has passed on the text before it gets here. Only messages on the hotline's
channels (the sandbox phone and Twilio SMS) are handled here.
"""

from __future__ import annotations

import unicodedata

from django.utils import translation
from django.utils.translation import gettext as _

from amparo.channels import inbound
from amparo.channels.models import InboundMessage
from amparo.lib.crypto.blind import fold
from amparo.lib.phones import display_phone
from amparo.people.identity import text_sender

from .conversations import conversation_append

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
    """Replace characters outside GSM-7 (á, í, ó, ú, —, curly quotes) by plain ones, so a
    Spanish text gets 153 characters per segment instead of 67."""
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
    text = sms_fit(text)
    while sms_segments(text) > 2:  # a long translation must still fit
        text = text[: len(text) - 10].rstrip() + "..."
    return text


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
        reply = help_text(
            network_name=network.name,
            hotline_number=network.hotline_number,
            language=language,
        )
        return inbound.Handled(handler=HANDLER, reply=reply, language=language)
    if not body.strip():
        return None
    conversation = conversation_append(message=message)
    return inbound.Handled(handler="hotline.conversation", language=conversation.language)
