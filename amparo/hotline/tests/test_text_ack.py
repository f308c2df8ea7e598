"""Issue 13.4: a person who texts the hotline gets an immediate reply in their language —
a responder will write back; in danger, call the hotline; their rights in one line —
once per window for their number, never to a short code or one of Amparo's own
numbers, and never while a responder is writing with them."""

from __future__ import annotations

from datetime import timedelta
from itertools import count
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from amparo.channels.models import Delivery, InboundMessage
from amparo.channels.services import inbound_receive
from amparo.conftest import client_for
from amparo.hotline.conversations import conversation_reply, conversations_open
from amparo.hotline.keywords import sms_segments
from amparo.hotline.models import Conversation, ConversationMessage
from amparo.tests.factories import PersonFactory

from . import test_intake as _intake

responder_a = _intake.responder_a  # fixtures shared with the intake tests

pytestmark = pytest.mark.django_db

NUMBER = "+16175550177"
REFS = count(1)


def text(network: Any, body: str, sender: str = NUMBER, channel: str = "sandbox") -> None:
    inbound_receive(
        network=network,
        channel=channel,
        from_address=sender,
        body=body,
        provider_ref=f"ack-{next(REFS)}",
    )


def acks() -> list[Delivery]:
    return list(Delivery.objects.filter(purpose="hotline-text-ack").order_by("id"))


def test_a_spanish_text_gets_a_spanish_reply_once_per_window(network_a: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        text(network_a, "Hola, la migra está en mi trabajo, ¿qué hago?")
    [ack] = acks()
    assert ack.to_address == NUMBER and ack.language == "es" and ack.channel == "sandbox"
    assert ack.body == (
        "Linea de emergencia de Network A: recibimos su mensaje. Alguien del equipo le "
        "escribira pronto. ¿En peligro? Llame al (413) 555-0100. Sus derechos: guarde "
        "silencio, no firme nada, no abra la puerta sin una orden firmada por un juez."
    )
    assert sms_segments(ack.body) <= 2
    # Kept in the thread as Amparo's (no author), and no answer: it still waits.
    conversation = Conversation.objects.get()
    auto = ConversationMessage.objects.get(direction="out")
    assert auto.author is None and auto.delivery == ack
    assert conversations_open(network=network_a) == [(conversation, 1)]

    # More texts in the window: no more replies (no reply loops).
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        for i in range(20):
            text(network_a, f"por favor {i}")
    assert len(acks()) == 1
    assert conversations_open(network=network_a)[0][1] == 21
    # After the window, a new text gets it again.
    with time_machine.travel(start + timedelta(hours=13), tick=False):
        text(network_a, "¿hay alguien?")
    assert len(acks()) == 2


def test_english_by_the_text_or_by_the_number_known_language(network_a: Any) -> None:
    text(network_a, "Agents are at my work, what do I do?")
    [ack] = acks()
    assert ack.language == "en"
    assert ack.body.startswith("Network A hotline: we got your text. A responder will write")
    assert "In danger? Call (413) 555-0100." in ack.body
    assert ack.body.endswith("do not open the door without a warrant signed by a judge.")
    # A number Amparo knows: the person's own language, whatever the words.
    PersonFactory.create(network=network_a, phone="+16175550178", language="en")
    text(network_a, "hola", sender="+16175550178")
    assert acks()[-1].language == "en" and acks()[-1].to_address == "+16175550178"


def test_never_to_short_codes_sender_names_or_our_own_numbers(
    network_a: Any, network_b: Any, settings: Any
) -> None:
    settings.TWILIO_FROM_NUMBER = "+14135550199"
    network_b.hotline_number = "+14135550200"
    network_b.save(update_fields=["hotline_number"])
    for sender in ("12345", "898287", "AMAZON", "+14135550100", "+14135550199", "+14135550200"):
        text(network_a, "Your code is 1234", sender=sender, channel="twilio_sms")
        text(network_a, "help", sender=sender, channel="twilio_sms")
    assert not Delivery.objects.exists()
    # Their texts are still kept (a conversation each) for a responder to see.
    assert InboundMessage.objects.count() == 12
    assert Conversation.objects.count() == 6


def test_no_automatic_reply_while_a_responder_is_writing(network_a: Any, responder_a: Any) -> None:
    text(network_a, "hola")
    conversation = Conversation.objects.get()
    Conversation.objects.filter(pk=conversation.pk).update(acknowledged_at=None)
    conversation_reply(conversation=conversation, author=responder_a, body="¿Dónde está?")
    text(network_a, "en la calle 5")
    assert len(acks()) == 1
    assert conversations_open(network=network_a)[0][1] == 1  # answered, then one new text
    # The responders see what Amparo answered by itself, marked as such.
    url = reverse("hotline:conversation", kwargs={"pk": conversation.pk})
    page = client_for(responder_a).get(url).content.decode()
    assert page.count("respuesta automática") == 1 and "Linea de emergencia de Network A" in page


def test_a_flood_from_many_numbers_gets_a_bounded_number_of_replies(
    network_a: Any, settings: Any
) -> None:
    settings.HOTLINE_TEXT_ACK_MAX_PER_HOUR = 3
    for i in range(6):
        text(network_a, "hola", sender=f"+1617555{i:04d}")
    assert len(acks()) == 3
    assert Conversation.objects.count() == 6
