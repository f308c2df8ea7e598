"""The email transport against a real SMTP server on loopback (a tiny responder)."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.header import decode_header, make_header
from typing import Any

import pytest
from django.test import override_settings

from amparo.channels.base import TransportError
from amparo.channels.email.transport import EmailTransport
from amparo.channels.models import Delivery
from amparo.channels.outbox import outbox_write
from amparo.conftest import send_now

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


@dataclass
class FakeSMTP:
    port: int = 0
    refuse: dict[str, str] = field(default_factory=dict)  # address -> reply line
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(fake: FakeSMTP) -> type[socketserver.StreamRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        timeout = 10

        def reply(self, line: str) -> None:
            self.wfile.write(line.encode() + b"\r\n")
            self.wfile.flush()

        def handle(self) -> None:
            self.reply("220 localhost ESMTP test")
            sender, recipients = "", list[str]()
            while True:
                raw = self.rfile.readline()
                if not raw:
                    return
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                verb = line[:4].upper()
                if verb in ("EHLO", "HELO"):
                    self.reply("250-localhost\r\n250 8BITMIME" if verb == "EHLO" else "250 hi")
                elif verb == "MAIL":
                    sender, recipients = line.split(":", 1)[1].strip().strip("<>"), list[str]()
                    self.reply("250 OK")
                elif verb == "RCPT":
                    address = line.split(":", 1)[1].strip().split(" ")[0].strip("<>")
                    if address in fake.refuse:
                        self.reply(fake.refuse[address])
                    else:
                        recipients.append(address)
                        self.reply("250 OK")
                elif verb == "DATA":
                    self.reply("354 go ahead")
                    data = b""
                    while True:
                        chunk = self.rfile.readline()
                        if not chunk or chunk == b".\r\n":
                            break
                        data += chunk
                    with fake.lock:
                        fake.messages.append((sender, recipients, data))
                    self.reply("250 queued")
                elif verb == "RSET" or verb == "NOOP":
                    self.reply("250 OK")
                elif verb == "QUIT":
                    self.reply("221 bye")
                    return
                else:
                    self.reply("502 not implemented")

    return Handler


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture
def smtp_server() -> Iterator[FakeSMTP]:
    fake = FakeSMTP()
    server = _Server(("127.0.0.1", 0), _handler(fake))
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with override_settings(
            EMAIL_BACKEND=SMTP_BACKEND,
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=fake.port,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
            EMAIL_TIMEOUT=5,
            DEFAULT_FROM_EMAIL="alerts@amparo.example.org",
        ):
            yield fake
    finally:
        server.shutdown()
        server.server_close()


def _delivery(network: Any, to: str = "ana@example.org") -> Delivery:
    return outbox_write(
        network=network,
        channel="email",
        to=to,
        body="Redada en la calle 5. ¿Puedes ir?",
        language="es",
        purpose="message",
    )


@pytest.mark.django_db
def test_an_email_is_sent_through_the_smtp_server(network_a, smtp_server):
    delivery = _delivery(network_a)
    assert send_now(delivery) == "sent"
    [(sender, recipients, data)] = smtp_server.messages
    assert sender == "alerts@amparo.example.org" and recipients == ["ana@example.org"]
    parsed = message_from_bytes(data)
    subject = str(make_header(decode_header(parsed["Subject"])))
    assert subject == "Mensaje de Network A"  # in the delivery's language
    payload = parsed.get_payload(decode=True)
    assert isinstance(payload, bytes) and "Redada en la calle 5" in payload.decode()
    sent = Delivery.objects.get(pk=delivery.pk)
    assert sent.provider_ref.startswith("amparo-") and sent.provider_ref in parsed["Message-ID"]


@pytest.mark.django_db
def test_a_recipient_refused_with_5xx_is_permanent(network_a, smtp_server):
    smtp_server.refuse["nobody@example.org"] = "550 5.1.1 no such user"
    delivery = _delivery(network_a, to="nobody@example.org")
    assert send_now(delivery) == "failed"
    failed = Delivery.objects.get(pk=delivery.pk)
    assert failed.error == "email: recipient refused 550" and failed.attempts == 1
    assert "nobody" not in failed.error and smtp_server.messages == []


@pytest.mark.django_db
def test_a_recipient_refused_with_4xx_is_retried(network_a, smtp_server):
    smtp_server.refuse["busy@example.org"] = "451 4.7.1 try again later"
    delivery = _delivery(network_a, to="busy@example.org")
    assert send_now(delivery) == "queued"
    assert Delivery.objects.get(pk=delivery.pk).error == "email: recipient refused 451"


@pytest.mark.django_db
def test_no_smtp_server_is_transient(network_a):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        override_settings(
            EMAIL_BACKEND=SMTP_BACKEND,
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            EMAIL_USE_TLS=False,
            EMAIL_TIMEOUT=2,
        ),
        pytest.raises(TransportError) as caught,
    ):
        EmailTransport().send(_delivery(network_a))
    assert caught.value.permanent is False
    assert caught.value.message == "email: ConnectionRefusedError"


@pytest.mark.django_db
def test_not_an_address_is_permanent_without_connecting(network_a, smtp_server):
    with pytest.raises(TransportError) as caught:
        EmailTransport().send(_delivery(network_a, to="+14135550142"))
    assert caught.value.permanent is True and smtp_server.messages == []
