"""Transports by slug, as dotted paths imported on first use."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from .base import Transport

TRANSPORTS: dict[str, str] = {
    "sandbox": "amparo.channels.sandbox.transport.SandboxTransport",
    "sandbox_voice": "amparo.channels.sandbox.transport.SandboxVoiceTransport",
    "twilio_sms": "amparo.channels.twilio.transport.TwilioSMSTransport",
    "twilio_voice": "amparo.channels.twilio.voice_alert.TwilioVoiceTransport",
    "email": "amparo.channels.email.transport.EmailTransport",
    "telegram": "amparo.channels.telegram.transport.TelegramTransport",
    "signal": "amparo.channels.signal.transport.SignalTransport",
}


#: each transport as people read it (the board's failures, an answer's "by")
TRANSPORT_LABELS = {
    "sandbox": _("sandbox phone"),
    "twilio_sms": _("text message"),
    "twilio_voice": _("phone call"),
    "sms": _("text message"),
    "voice": _("phone call"),
    "email": _("email"),
    "telegram": _("Telegram"),
    "signal": _("Signal"),
}


def transport_label(slug: str) -> str:
    """A transport's (or channel's) name in the active language; an unknown one as is."""
    return str(TRANSPORT_LABELS.get(slug, slug))


class UnknownTransport(LookupError):
    pass


@cache
def get_transport(slug: str) -> Transport:
    try:
        path = TRANSPORTS[slug]
    except KeyError:
        raise UnknownTransport(f"no transport named {slug!r}") from None
    cls = import_string(path)
    return cls()


def sms_channel() -> str:
    """The one route for texts (``CHANNEL_ROUTES["sms"]``) if registered, else "": ask here."""
    slug = str(settings.CHANNEL_ROUTES.get("sms") or "")
    return slug if slug in TRANSPORTS else ""


def voice_channel() -> str:
    """The one route for phone calls (``CHANNEL_ROUTES["voice"]``) if registered, else ""."""
    slug = str(settings.CHANNEL_ROUTES.get("voice") or "")
    return slug if slug in TRANSPORTS else ""


def register_transport(slug: str, dotted_path: str) -> None:
    TRANSPORTS[slug] = dotted_path
    get_transport.cache_clear()
