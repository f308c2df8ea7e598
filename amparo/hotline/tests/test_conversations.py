"""Texts no keyword handles become conversations that responders answer from the web."""

from __future__ import annotations

import pytest
from django.urls import reverse

from amparo.channels.models import Delivery
from amparo.channels.sandbox.models import SandboxMessage
from amparo.channels.sandbox.services import sandbox_reply, thread_for
from amparo.channels.services import inbound_receive
from amparo.conftest import client_for
from amparo.hotline.conversations import language_guess
from amparo.hotline.models import Conversation, ConversationMessage

from . import test_intake as _intake

responder_a = _intake.responder_a  # fixtures shared with the intake tests
dispatcher_a = _intake.dispatcher_a

NUMBER = "+14135550150"


@pytest.mark.django_db
def test_one_conversation_per_number_and_no_flood_to_responders(
    network_a,
    responder_a,
    dispatcher_a,
):
    for i in range(200):
        inbound_receive(
            network=network_a,
            channel="sandbox",
            from_address=NUMBER,
            body=f"hola, necesito ayuda {i}",
            provider_ref=f"flood-{i}",
        )
    assert Conversation.objects.count() == 1
    conversation = Conversation.objects.get()
    assert conversation.language == "es"
    assert conversation.messages.filter(direction="in").count() == 200
    # nobody texted but the writer, once: the automatic reply (issue 13), not 200 of them
    assert [(d.purpose, d.to_address) for d in Delivery.objects.all()] == [
        ("hotline-text-ack", NUMBER)
    ]
    page = client_for(responder_a).get(reverse("hotline:conversations")).content.decode()
    assert 'data-waiting="200"' in page


@pytest.mark.django_db
def test_web_reply_goes_to_the_sandbox_phone(
    network_a,
    responder_a,
    huey_consumer,
    django_capture_on_commit_callbacks,
):
    thread = thread_for(network=network_a, number=NUMBER)
    sandbox_reply(thread=thread, body="Agents are outside my building")
    conversation = Conversation.objects.get()
    assert conversation.language == "en"
    client = client_for(responder_a)
    shown = client.get(reverse("hotline:conversation", kwargs={"pk": conversation.pk}))
    assert "Agents are outside" in shown.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("hotline:conversation", kwargs={"pk": conversation.pk}),
            {"action": "reply", "body": "Do not open the door. Where are you?"},
        )
    assert response.status_code == 302
    reply = ConversationMessage.objects.get(direction="out", author__isnull=False)
    assert reply.delivery is not None and reply.delivery.channel == "sandbox"
    assert reply.author == responder_a
    from amparo.conftest import wait_for

    def replies() -> list[str]:
        return [m.body for m in SandboxMessage.objects.filter(thread=thread, direction="out")]

    # the automatic reply to the first text, then the responder's
    assert wait_for(lambda: len(replies()) == 2)
    assert any(body.startswith("Do not open") for body in replies())
    # Answered: nothing is waiting any more.
    listing = client.get(reverse("hotline:conversations")).content.decode()
    assert "data-waiting" not in listing


@pytest.mark.django_db
def test_closing_and_a_new_message_opens_a_new_conversation(network_a, responder_a):
    inbound_receive(network=network_a, channel="sandbox", from_address=NUMBER, body="hello?")
    first = Conversation.objects.get()
    client = client_for(responder_a)
    client.post(reverse("hotline:conversation", kwargs={"pk": first.pk}), {"action": "close"})
    first.refresh_from_db()
    assert first.status == "closed"
    inbound_receive(network=network_a, channel="sandbox", from_address=NUMBER, body="again")
    assert Conversation.objects.filter(status="open").count() == 1
    assert Conversation.objects.count() == 2


@pytest.mark.django_db
def test_intake_starts_from_a_conversation(network_a, responder_a):
    inbound_receive(network=network_a, channel="sandbox", from_address=NUMBER, body="¿redada?")
    conversation = Conversation.objects.get()
    client = client_for(responder_a)
    response = client.post(
        reverse("hotline:intake_start"),
        {"situation": "raid_now", "language": "es", "conversation": conversation.pk},
    )
    assert response.status_code == 302
    assert conversation.intakes.count() == 1


@pytest.mark.django_db
def test_other_networks_cannot_see_conversations(network_a, coordinator_b, volunteer_a):
    inbound_receive(network=network_a, channel="sandbox", from_address=NUMBER, body="hola")
    conversation = Conversation.objects.get()
    url = reverse("hotline:conversation", kwargs={"pk": conversation.pk})
    assert client_for(coordinator_b).get(url).status_code == 404
    assert client_for(volunteer_a).get(url).status_code == 403


def test_language_guess():
    assert language_guess("¿Dónde está?") == "es"
    assert language_guess("mi esposo fue detenido") == "es"
    assert language_guess("my husband was detained", "es") == "en"
    assert language_guess("ok", "es") == "es"
