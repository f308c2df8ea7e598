"""REPORT / REPORTE by text message: the rest of the message becomes a report.

Before the hotline's catch-all conversation in ``settings.INBOUND_HANDLERS``, so that
such a text lands on the console as a report rather than in a hotline conversation.

One number is bounded wherever this handler runs (a web request or the worker): its
reports past its limit are added to its last one (``report_submit``), and it gets at
most ``REPORT_TEXT_REPLIES`` answers per window (:func:`flood.text_reply_due`).
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from amparo.accounts.models import Network
from amparo.channels import inbound
from amparo.channels.models import InboundMessage
from amparo.lib.crypto.blind import fold
from amparo.lib.phones import display_phone, normalize_phone

from .flood import ReportsFull, member_of_number, text_reply_due
from .models import Source
from .services import ReportInput, report_submit
from .submit import MAX_TEXT, place_in_words

HANDLER = "reports.sms"
CHANNELS = {"sandbox", "twilio_sms"}
#: the keyword (folded) → the language of the reply
KEYWORDS = {"report": "en", "reporte": "es", "reportar": "es"}
#: the longest ``sms:`` link body a public page offers (the keyword and the typed text)
SMS_BODY_MAX = 600


def sms_keyword(language: str) -> str:
    """The keyword to tell a person in ``language`` to text ("REPORTE", "REPORT")."""
    word = next((w for w, lang in KEYWORDS.items() if lang == language), "report")
    return word.upper()


def split_keyword(body: str) -> tuple[str, str] | None:
    """(language, the text after the keyword) if the message starts with one."""
    stripped = body.strip()
    if not stripped:
        return None
    first, _sep, rest = stripped.partition(" ")
    if "\n" in first:
        first, _sep, more = first.partition("\n")
        rest = f"{more} {rest}".strip()
    word = fold(first).strip(".,:;!¡?¿-")
    language = KEYWORDS.get(word)
    if language is None:
        return None
    return language, rest.strip().lstrip(":-,. ").strip()


def thanks_text(language: str) -> str:
    with translation.override(language):
        return _("Received. Do not confront agents. Verifiers are checking.")


def report_inbound(message: InboundMessage) -> inbound.Handled | None:
    if message.channel not in CHANNELS:
        return None
    found = split_keyword(message.body or "")
    if found is None:
        return None
    language, text = found
    try:
        phone = normalize_phone(message.from_address or "")
    except Exception:  # not a phone number: keep the report without a callback
        phone = ""
    network = message.network
    # at most REPORT_TEXT_REPLIES answers per window to one number (flood.text_reply_due)
    number = phone or (message.from_address or "")
    try:
        report_submit(
            network=network,
            source=Source.SMS,
            data=ReportInput(
                details={"text": text[:MAX_TEXT]},
                language=language,
                place=place_in_words(network=network, text=text) if text else None,
                reporter_phone=phone,
                # a sender that is not a phone number is limited by its address
                source_address="" if phone else (message.from_address or ""),
                # a member texting from their own number is known (flood.reporter_known)
                reporter_person=member_of_number(network=network, phone=phone) if phone else None,
            ),
            inbound=message,
        )
    except ReportsFull:  # a flood filled the cap: the text stays received, a word back
        reply = full_text(network, language)
    else:
        reply = thanks_text(language)
    if not text_reply_due(network=network, number=number):
        reply = ""  # this number was answered in this window: the text is kept, no reply
    return inbound.Handled(handler=HANDLER, reply=reply, language=language)


def full_text(network: Network, language: str) -> str:
    with translation.override(language):
        if network.hotline_number:
            return _("Too many reports right now. If it is a raid, call %(number)s.") % {
                "number": display_phone(network.hotline_number)
            }
        return _("Too many reports right now. If it is a raid, call the hotline.")
