"""Telegram: the transport against a loopback Bot API, and the webhook."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amparo.channels.base import TransportError
from amparo.channels.models import Delivery, InboundMessage
from amparo.channels.outbox import outbox_write
from amparo.channels.telegram.transport import TelegramTransport
from amparo.channels.telegram.views import webhook_path_token
from amparo.conftest import send_now

TOKEN = "123456:test-bot-token"
SECRET = "test-webhook-secret-0123456789"
CHAT = "987654321"


@dataclass
class FakeBotAPI:
    base: str = ""
    # chat id -> (HTTP status, JSON answer) to answer instead of success
    errors: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    sent: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)


def _handler(fake: FakeBotAPI) -> type[BaseHTTPRequestHandler]:
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
            fake.paths.append(self.path)
            if self.path != f"/bot{TOKEN}/sendMessage":
                return self._send(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            chat = str(payload.get("chat_id"))
            if chat in fake.errors:
                status, body = fake.errors[chat]
                return self._send(status, body)
            fake.sent.append(payload)
            result = {
                "message_id": len(fake.sent),
                "chat": {"id": int(chat)},
                "text": payload["text"],
            }
            self._send(200, {"ok": True, "result": result})

    return Handler


@pytest.fixture
def bot_api(settings: Any) -> Iterator[FakeBotAPI]:
    fake = FakeBotAPI()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    settings.TELEGRAM_API_BASE = fake.base
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def _delivery(network: Any, to: str = CHAT) -> Delivery:
    return outbox_write(
        network=network, channel="telegram", to=to, body="Redada: ¿puedes ir?", purpose="message"
    )


@pytest.mark.django_db
def test_a_message_is_sent_to_the_chat(network_a, bot_api):
    delivery = _delivery(network_a)
    assert send_now(delivery) == "sent"
    assert bot_api.sent == [
        {"chat_id": CHAT, "text": "Redada: ¿puedes ir?", "disable_web_page_preview": True}
    ]
    assert Delivery.objects.get(pk=delivery.pk).provider_ref == "tg-1"


@pytest.mark.django_db
def test_rate_limited_is_transient(network_a, bot_api):
    bot_api.errors[CHAT] = (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 7",
            "parameters": {"retry_after": 7},
        },
    )
    delivery = _delivery(network_a)
    assert send_now(delivery) == "queued"
    assert Delivery.objects.get(pk=delivery.pk).error == "telegram: 429 retry after 7s"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "description", "error"),
    [
        (400, "Bad Request: chat not found", "telegram: 400 chat not found"),
        (403, "Forbidden: bot was blocked by the user", "telegram: 403 bot was blocked"),
    ],
)
def test_unknown_chat_or_blocked_bot_is_permanent(network_a, bot_api, status, description, error):
    bot_api.errors[CHAT] = (status, {"ok": False, "error_code": status, "description": description})
    delivery = _delivery(network_a)
    assert send_now(delivery) == "failed"
    failed = Delivery.objects.get(pk=delivery.pk)
    assert failed.error == error and failed.attempts == 1 and CHAT not in failed.error


@pytest.mark.django_db
def test_server_errors_unreachable_api_and_no_token_are_transient(network_a, bot_api, settings):
    bot_api.errors[CHAT] = (502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})
    with pytest.raises(TransportError) as caught:
        TelegramTransport().send(_delivery(network_a))
    assert caught.value.permanent is False and caught.value.message == "telegram: 502"

    settings.TELEGRAM_API_BASE = "http://127.0.0.1:9"  # discard port: refused
    with pytest.raises(TransportError) as caught:
        TelegramTransport().send(_delivery(network_a, to="1"))
    assert caught.value.permanent is False and TOKEN not in caught.value.message

    settings.TELEGRAM_BOT_TOKEN = ""
    with pytest.raises(TransportError) as caught:
        TelegramTransport().send(_delivery(network_a, to="2"))
    assert caught.value.permanent is False and caught.value.message == "telegram: not configured"


# --- the webhook ----------------------------------------------------------------------


def _update(update_id: int = 5001, text: str = "hola", chat_type: str = "private") -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 12,
            "date": 1700000000,
            "chat": {"id": int(CHAT), "type": chat_type},
            "from": {"id": int(CHAT), "is_bot": False, "first_name": "Ana"},
            "text": text,
        },
    }


def _post(update: dict, *, secret: str | None = SECRET, token: str | None = None) -> Any:
    url = reverse("telegram_webhook", args=[token or webhook_path_token(SECRET)])
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return Client().post(url, json.dumps(update), content_type="application/json", headers=headers)


@pytest.fixture
def webhook_settings(settings: Any, network_a: Any) -> Any:
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET
    settings.TELEGRAM_NETWORK = network_a.slug
    return settings


@pytest.mark.django_db
@pytest.mark.urls("amparo.channels.telegram.tests.urls")
def test_an_update_is_received_once(webhook_settings, network_a):
    assert _post(_update()).status_code == 200
    assert _post(_update()).status_code == 200  # Telegram retried: nothing new
    [message] = InboundMessage.objects.all()
    assert message.network == network_a and message.channel == "telegram"
    assert message.from_address == CHAT and message.body == "hola"
    assert message.provider_ref == "5001"


@pytest.mark.django_db
@pytest.mark.urls("amparo.channels.telegram.tests.urls")
@pytest.mark.parametrize(
    "kwargs",
    [
        {"secret": None},
        {"secret": "wrong-secret"},
        {"token": "0" * 32},
        {"secret": "wrong-secret", "token": webhook_path_token("wrong-secret")},
    ],
)
def test_a_wrong_or_missing_secret_is_refused_and_nothing_stored(webhook_settings, kwargs):
    assert _post(_update(), **kwargs).status_code == 403
    assert not InboundMessage.objects.exists()


@pytest.mark.django_db
@pytest.mark.urls("amparo.channels.telegram.tests.urls")
def test_no_secret_configured_refuses_everything(settings, network_a):
    settings.TELEGRAM_WEBHOOK_SECRET = ""
    settings.TELEGRAM_NETWORK = network_a.slug
    assert _post(_update(), secret="", token=webhook_path_token("")).status_code == 403
    assert not InboundMessage.objects.exists()


@pytest.mark.django_db
@pytest.mark.urls("amparo.channels.telegram.tests.urls")
def test_group_chats_and_non_text_are_acknowledged_and_dropped(webhook_settings):
    assert _post(_update(chat_type="group")).status_code == 200
    photo = _update(update_id=5002)
    del photo["message"]["text"]
    assert _post(photo).status_code == 200
    assert _post({"update_id": 5003, "edited_message": {}}).status_code == 200
    assert _post({"no": "update"}).status_code == 400
    assert not InboundMessage.objects.exists()


@pytest.mark.django_db
@pytest.mark.urls("amparo.channels.telegram.tests.urls")
def test_no_network_configured_asks_telegram_to_retry(webhook_settings):
    webhook_settings.TELEGRAM_NETWORK = "no-such-network"
    assert _post(_update()).status_code == 503
    assert not InboundMessage.objects.exists()
