"""Inbound texts: each message is offered to the handlers of ``settings.INBOUND_HANDLERS``
(dotted paths, read top to bottom); the first that returns a result handles it. The
table lives in the settings so that this layer names the apps' handlers without
importing them. A handler never raises for bad input from the public: it answers or
returns None."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from .models import InboundMessage

from .models import InboundMessage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Handled:
    handler: str
    reply: str = ""
    language: str = "en"


@cache
def handler_load(path: str) -> Callable[[InboundMessage], Handled | None]:
    return import_string(path)


def dispatch(message: InboundMessage) -> Handled | None:
    for path, _claims in settings.INBOUND_HANDLERS:
        try:
            with transaction.atomic():  # a savepoint: a broken handler's writes roll back
                result = handler_load(path)(message)
        except Exception:
            # One broken handler must not lose the message: it is already saved.
            log.exception("inbound handler %s failed on message %s", path, message.pk)
            continue
        if result is not None:
            return result
    return None
