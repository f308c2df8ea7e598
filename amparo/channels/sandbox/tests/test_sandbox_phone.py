from __future__ import annotations

import pytest
from django.urls import reverse

from amparo.channels import inbound
from amparo.channels.models import Delivery, InboundMessage
from amparo.channels.outbox import outbox_write
from amparo.channels.sandbox.models import SandboxMessage, SandboxThread
from amparo.conftest import client_for, send_now

NUMBER = "+14135550142"


@pytest.mark.django_db
def test_a_sent_message_appears_on_the_sandbox_phone(network_a, coordinator_a):
    delivery = outbox_write(
        network=network_a,
        channel="sandbox",
        to=NUMBER,
        body="ICE reported at the plant <b>now</b>",
        purpose="message",
    )
    send_now(delivery)
    client = client_for(coordinator_a)
    listing = client.get(reverse("sandbox:list")).content.decode()
    assert "(413) 555-0142" in listing
    thread = SandboxThread.objects.get()
    page = client.get(reverse("sandbox:thread", kwargs={"pk": thread.pk})).content.decode()
    assert "ICE reported at the plant &lt;b&gt;now&lt;/b&gt;" in page  # escaped, never run
    assert "<b>now</b>" not in page


RECEIVED: list[tuple[str, str, str]] = []


def handler(message):
    RECEIVED.append((message.channel, message.from_address, message.body))
    return inbound.Handled(handler="test", reply="Gracias", language="es")


@pytest.mark.django_db
def test_a_reply_typed_on_the_sandbox_phone_reaches_the_inbound_handler(
    network_a, coordinator_a, settings
):
    delivery = outbox_write(
        network=network_a, channel="sandbox", to=NUMBER, body="Reply YES", purpose="message"
    )
    send_now(delivery)
    thread = SandboxThread.objects.get()
    settings.INBOUND_HANDLERS = [(f"{__name__}.handler", "anything")]
    RECEIVED.clear()
    response = client_for(coordinator_a).post(
        reverse("sandbox:thread", kwargs={"pk": thread.pk}), {"body": "  YES  "}
    )
    assert response.status_code == 302
    assert RECEIVED == [("sandbox", NUMBER, "YES")]
    assert InboundMessage.objects.get().handled_by == "test"
    assert SandboxMessage.objects.filter(direction="in", body__isnull=False).count() == 1
    reply = Delivery.objects.get(purpose="reply")
    assert reply.language == "es" and reply.to_address == NUMBER


@pytest.mark.django_db
def test_an_empty_or_huge_reply_is_refused_in_the_users_language(network_a, coordinator_a):
    delivery = outbox_write(
        network=network_a, channel="sandbox", to=NUMBER, body="x", purpose="message"
    )
    send_now(delivery)
    thread = SandboxThread.objects.get()
    client = client_for(coordinator_a)
    client.cookies["amparo_language"] = "es"
    url = reverse("sandbox:thread", kwargs={"pk": thread.pk})
    empty = client.post(url, {"body": "   "})
    assert empty.status_code == 200 and "escriba un mensaje" in empty.content.decode()
    huge = client.post(url, {"body": "a" * 5000})
    assert huge.status_code == 200 and "1600" in huge.content.decode()
    assert not InboundMessage.objects.exists()


@pytest.mark.django_db
def test_compose_queues_a_message_and_rejects_bad_numbers(network_a, coordinator_a):
    client = client_for(coordinator_a)
    ok = client.post(reverse("sandbox:list"), {"number": "(413) 555-0177", "body": "test"})
    assert ok.status_code == 302
    queued = Delivery.objects.get()
    assert queued.to_address == "+14135550177" and queued.channel == "sandbox"
    bad = client.post(reverse("sandbox:list"), {"number": "not a phone", "body": "test"})
    assert bad.status_code == 200 and "not a phone number" in bad.content.decode()
    assert Delivery.objects.count() == 1


@pytest.mark.django_db
def test_sandbox_is_off_unless_enabled(settings, coordinator_a):
    settings.SANDBOX_ENABLED = False
    assert client_for(coordinator_a).get(reverse("sandbox:list")).status_code == 404
