"""HELP/AYUDA/INFO by text: rights and the hotline number, in two SMS segments at most."""

from __future__ import annotations

import pytest

from amparo.channels.models import Delivery, InboundMessage
from amparo.channels.services import inbound_receive
from amparo.hotline.keywords import help_text, sms_fit, sms_segments
from amparo.hotline.models import Conversation

NUMBER = "+14135550140"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("word", "language", "opening"),
    [
        ("AYUDA", "es", "Network A, linea de emergencia 24 h: (413) 555-0100. Sus derechos"),
        ("¡Ayuda!", "es", "Network A, linea de emergencia 24 h: (413) 555-0100. Sus derechos"),
        ("help", "en", "Network A 24h hotline: (413) 555-0100. Your rights"),
    ],
)
def test_help_replies_with_rights_and_the_hotline_number(network_a, word, language, opening):
    inbound_receive(network=network_a, channel="sandbox", from_address=NUMBER, body=word)
    reply = Delivery.objects.get(purpose="reply")
    assert reply.language == language and reply.to_address == NUMBER
    assert "(413) 555-0100" in reply.body
    assert sms_segments(reply.body) <= 2
    # in the asker's language, folded to GSM-7 (the message opens with a placeholder, so
    # the part of the msgid before the first "%" this used to compare was always "")
    assert reply.body.startswith(opening)
    assert not Conversation.objects.exists()
    assert InboundMessage.objects.get().handled_by == "hotline.keywords"


@pytest.mark.django_db
def test_info_uses_the_network_language_for_unknown_numbers(network_a):
    inbound_receive(network=network_a, channel="sandbox", from_address=NUMBER, body="INFO")
    assert Delivery.objects.get(purpose="reply").language == (network_a.languages or ["en"])[0]


@pytest.mark.django_db
def test_other_channels_are_not_the_hotlines(network_a):
    inbound_receive(network=network_a, channel="email", from_address="a@b.example", body="help")
    assert not Delivery.objects.exists() and not Conversation.objects.exists()


def test_help_text_fits_two_segments_even_when_long():
    for language in ("en", "es"):
        text = help_text(network_name="N" * 200, hotline_number="+14135550100", language=language)
        assert sms_segments(text) <= 2
    assert sms_segments("á" * 70) == 1 and sms_segments("á" * 71) == 2
    assert sms_fit("Policía — sí, Señor") == "Policia - si, Señor"  # ñ is GSM-7
