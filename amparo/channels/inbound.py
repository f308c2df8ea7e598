"""Inbound handlers: each later feature (STOP/START, HELP, REPORT, alert replies)
registers one. They run in order; the first that returns a result handles the
message. A handler never raises for bad input from the public: it answers or
returns None."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from .models import InboundMessage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Handled:
    handler: str
    reply: str = ""
    language: str = "en"


Handler = Callable[["InboundMessage"], Handled | None]

_handlers: list[tuple[int, str, Handler]] = []


def register(name: str, handler: Handler, *, order: int = 100) -> None:
    global _handlers
    _handlers = [h for h in _handlers if h[1] != name]
    _handlers.append((order, name, handler))
    _handlers.sort(key=lambda h: (h[0], h[1]))


def unregister(name: str) -> None:
    global _handlers
    _handlers = [h for h in _handlers if h[1] != name]


def dispatch(message: InboundMessage) -> Handled | None:
    for _order, name, handler in list(_handlers):
        try:
            result = handler(message)
        except Exception:
            # One broken handler must not lose the message: it is already saved.
            log.exception("inbound handler %s failed on message %s", name, message.pk)
            continue
        if result is not None:
            return result
    return None
