from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend

log = logging.getLogger(__name__)


class NoMailServerBackend(BaseEmailBackend):
    """Used when AMPARO_EMAIL_HOST is not set outside the demo: drops mail loudly."""

    def send_messages(self, email_messages: Sequence[Any]) -> int:
        if email_messages:
            log.error(
                "%d email(s) not sent: no mail server is configured (AMPARO_EMAIL_HOST)",
                len(email_messages),
            )
        return 0
