"""Signal against a loopback fake of signal-cli-rest-api's ``POST /v2/send``."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from amparo.channels.base import TransportError
from amparo.channels.models import Delivery
from amparo.channels.outbox import outbox_write
from amparo.channels.registry import get_transport
from amparo.channels.signal.transport import SignalTransport
from amparo.conftest import send_now

SENDER = "+14135550100"
TO = "+14135550142"


@dataclass
class FakeSignalAPI:
    base: str = ""
    errors: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    sent: list[dict[str, Any]] = field(default_factory=list)


def _handler(fake: FakeSignalAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            payload = json.loads(self.rfile.read(length) or b"{}")
            if self.path != "/v2/send":
                return self._send(404, {"error": "not found"})
            if payload.get("number") != SENDER:
                return self._send(400, {"error": "User is not registered"})
            recipient = payload["recipients"][0]
            if recipient in fake.errors:
                return self._send(*fake.errors[recipient])
            fake.sent.append(payload)
            self._send(201, {"timestamp": str(1700000000000 + len(fake.sent))})

    return Handler


@pytest.fixture
def signal_api(settings: Any) -> Iterator[FakeSignalAPI]:
    fake = FakeSignalAPI()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SIGNAL_API_BASE = fake.base
    settings.SIGNAL_NUMBER = SENDER
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def _delivery(network: Any, to: str = TO) -> Delivery:
    return outbox_write(
        network=network, channel="signal", to=to, body="Redada: ¿puedes ir?", purpose="message"
    )


def test_signal_is_paced_slowly():
    assert get_transport("signal").rate_per_second <= 0.5


@pytest.mark.django_db
def test_a_message_is_sent(network_a, signal_api):
    delivery = _delivery(network_a)
    assert send_now(delivery) == "sent"
    assert signal_api.sent == [
        {"message": "Redada: ¿puedes ir?", "number": SENDER, "recipients": [TO]}
    ]
    assert Delivery.objects.get(pk=delivery.pk).provider_ref == "signal-1700000000001"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("error", "stored"),
    [
        (f"Failed to send message: {TO}: Unregistered user", "signal: 400 unregistered"),
        (f"Invalid phone number: {TO}", "signal: 400 invalid number"),
    ],
)
def test_unregistered_or_invalid_numbers_are_permanent(network_a, signal_api, error, stored):
    signal_api.errors[TO] = (400, {"error": error})
    delivery = _delivery(network_a)
    assert send_now(delivery) == "failed"
    failed = Delivery.objects.get(pk=delivery.pk)
    assert failed.error == stored and TO not in failed.error


@pytest.mark.django_db
def test_other_errors_are_transient(network_a, signal_api, settings):
    signal_api.errors[TO] = (400, {"error": "Rate limit exceeded"})
    delivery = _delivery(network_a)
    assert send_now(delivery) == "queued"
    assert Delivery.objects.get(pk=delivery.pk).error == "signal: 400"

    signal_api.errors[TO] = (500, {"error": "signal-cli crashed"})
    with pytest.raises(TransportError) as caught:
        SignalTransport().send(_delivery(network_a, to=TO))
    assert caught.value.permanent is False

    settings.SIGNAL_API_BASE = "http://127.0.0.1:9"
    with pytest.raises(TransportError) as caught:
        SignalTransport().send(_delivery(network_a, to="+14135550143"))
    assert caught.value.permanent is False and caught.value.message == "signal: ConnectionError"

    settings.SIGNAL_NUMBER = ""
    with pytest.raises(TransportError) as caught:
        SignalTransport().send(_delivery(network_a, to="+14135550144"))
    assert caught.value.message == "signal: not configured" and not caught.value.permanent
