"""The Telegram bot's webhook (``setWebhook``).

Mounted at ``/hooks/telegram/<token>/``; ``<token>`` is derived from
``TELEGRAM_WEBHOOK_SECRET`` (so the secret never appears in access logs) and Telegram must
also send the secret in ``X-Telegram-Bot-Api-Secret-Token``. Anything else, or no secret
configured → 403, nothing stored. Register with ``setWebhook?url=<PUBLIC_URL>/hooks/telegram/
<token>/&secret_token=<secret>&allowed_updates=["message"]``.

One bot per deployment, for the network ``TELEGRAM_NETWORK``. Only text in private chats is
taken; the rest is acknowledged (200) and dropped so Telegram does not retry. Idempotent on
``update_id``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from amparo.accounts.models import Network
from amparo.channels.services import inbound_receive

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
CHANNEL = "telegram"


def webhook_path_token(secret: str | None = None) -> str:
    """The path segment of the webhook URL for ``secret`` (default: the setting)."""
    secret = settings.TELEGRAM_WEBHOOK_SECRET.strip() if secret is None else secret
    return hmac.new(secret.encode(), b"amparo-telegram-webhook-path", hashlib.sha256).hexdigest()[
        :32
    ]


def _text(status: int, text: str) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain")


def _authorized(request: HttpRequest, token: str) -> bool:
    secret = settings.TELEGRAM_WEBHOOK_SECRET.strip()
    if not secret:
        return False
    header = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    return hmac.compare_digest(header.encode(), secret.encode()) and hmac.compare_digest(
        token.encode(), webhook_path_token(secret).encode()
    )


@login_not_required
@csrf_exempt
@require_POST
def webhook(request: HttpRequest, token: str) -> HttpResponse:
    if not _authorized(request, token):
        log.warning("telegram webhook refused: bad or missing secret")
        return _text(403, "Forbidden.")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = MAX_BODY + 1
    if length > MAX_BODY:
        return _text(413, "Request too large.")
    try:
        update = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _text(400, "Not JSON.")
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        return _text(400, "No update_id.")
    message = update.get("message")
    if not isinstance(message, dict):
        return _text(200, "ignored")
    chat = message.get("chat") or {}
    text = message.get("text")
    if not isinstance(chat, dict) or chat.get("type") != "private" or not isinstance(text, str):
        return _text(200, "ignored")
    if not isinstance(chat.get("id"), int):
        return _text(400, "No chat id.")
    slug = settings.TELEGRAM_NETWORK.strip()
    network = Network.objects.filter(slug=slug, is_active=True).first() if slug else None
    if network is None:
        # Telegram retries non-2xx updates for a while: nothing is lost while fixing it.
        log.error("telegram webhook: TELEGRAM_NETWORK does not name an active network")
        return _text(503, "Not configured.")
    inbound_receive(
        network=network,
        channel=CHANNEL,
        from_address=str(chat["id"]),
        body=text[:4096],
        provider_ref=str(update["update_id"]),
    )
    return _text(200, "ok")
