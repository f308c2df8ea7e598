"""Email through Django's mail backend (SMTP when ``AMPARO_EMAIL_HOST`` is set).

A 5xx refusal of the recipient, or a malformed address, is permanent; the rest is transient
and retried. The stored error holds SMTP codes only, never the address.
"""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.utils import translation
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from amparo.channels.base import ProviderRef, Transport, TransportError
from amparo.channels.models import Delivery


def _subject(delivery: Delivery) -> str:
    name = getattr(delivery.network, "name", "") or "Amparo"
    with translation.override(delivery.language or "en"):
        if delivery.purpose == "password-reset":
            return _("Amparo: set your password")
        if delivery.alert_id:
            return _("Alert from %(network)s") % {"network": name}
        return _("Message from %(network)s") % {"network": name}


def _code(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0


class EmailTransport(Transport):
    slug = "email"
    rate_per_second = 5.0  # a relay takes more, but alerts do not need more

    def send(self, delivery: Delivery) -> ProviderRef:
        address = (delivery.to_address or "").strip()
        try:
            validate_email(address)
        except ValidationError:
            raise TransportError("email: not an email address", permanent=True) from None
        sender = settings.ALERT_FROM_EMAIL or settings.DEFAULT_FROM_EMAIL
        domain = sender.rpartition("@")[2] or "localhost"
        message_id = f"<amparo-{delivery.pk}-{get_random_string(12)}@{domain}>"
        message = EmailMessage(
            subject=_subject(delivery),
            body=delivery.body,
            from_email=sender,
            to=[address],
            headers={"Message-ID": message_id, "Auto-Submitted": "auto-generated"},
        )
        try:
            sent = get_connection(fail_silently=False).send_messages([message])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [_code(reply[0]) for reply in exc.recipients.values()]
            code = max(codes) if codes else 0
            raise TransportError(
                f"email: recipient refused {code}", permanent=code >= 500
            ) from None
        except smtplib.SMTPResponseException as exc:  # sender or data refused, 4xx/5xx
            raise TransportError(f"email: smtp {exc.smtp_code}", permanent=False) from None
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise TransportError(f"email: {type(exc).__name__}", permanent=False) from None
        if not sent:
            raise TransportError("email: not sent", permanent=False)
        return ProviderRef(id=message_id.strip("<>")[:100])
