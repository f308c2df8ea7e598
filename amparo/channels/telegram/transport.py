"""Telegram through the Bot API's ``sendMessage``.

``TELEGRAM_BOT_TOKEN`` unset → every send fails transiently, so nothing is lost once set.
``Delivery.to_address`` is the chat id. 400 and 403 (blocked, deactivated) are permanent;
429, 5xx, 401/404 (a wrong token) and network errors transient. Stored errors hold codes
only, never the chat id.
"""

from __future__ import annotations

from django.conf import settings

from amparo.channels.base import ProviderRef, Transport, TransportError, post_json
from amparo.channels.models import Delivery
from amparo.lib import http

TIMEOUT = http.DEFAULT_TIMEOUT  # connect, read
MAX_TEXT = 4096  # Telegram's limit for one message

PERMANENT_STATUSES = {400, 403}


def api_url(method: str) -> str:
    base = settings.TELEGRAM_API_BASE.rstrip("/")
    return f"{base}/bot{settings.TELEGRAM_BOT_TOKEN.strip()}/{method}"


def _error_kind(description: str) -> str:
    """A short, fixed label for the stored error (the description is Telegram's, not ours)."""
    text = description.lower()
    for label in ("chat not found", "bot was blocked", "user is deactivated", "too long"):
        if label in text:
            return label
    return ""


class TelegramTransport(Transport):
    slug = "telegram"
    #: Telegram allows ~30 messages/s overall and 1/s per chat.
    rate_per_second = 20.0

    def send(self, delivery: Delivery) -> ProviderRef:
        if not settings.TELEGRAM_BOT_TOKEN.strip():
            raise TransportError("telegram: not configured", permanent=False)
        chat_id = (delivery.to_address or "").strip()
        if not chat_id:
            raise TransportError("telegram: no chat id", permanent=True)
        payload = {
            "chat_id": chat_id,
            "text": delivery.body[:MAX_TEXT],
            "disable_web_page_preview": True,
        }
        # only the kind of a network failure: the URL holds the bot token
        status, data = post_json(self.slug, api_url("sendMessage"), payload, TIMEOUT)
        if status == 200 and data.get("ok"):
            result = data.get("result") or {}
            return ProviderRef(id=f"tg-{result.get('message_id', '')}")
        status = int(data.get("error_code") or status)
        if status == 429:
            params = data.get("parameters") or {}
            retry_after = params.get("retry_after") if isinstance(params, dict) else None
            raise TransportError(f"telegram: 429 retry after {retry_after}s", permanent=False)
        kind = _error_kind(str(data.get("description") or ""))
        message = f"telegram: {status} {kind}".strip()
        raise TransportError(message, permanent=status in PERMANENT_STATUSES)
