"""Codes the alerts app stores, as people read them, in the active language: how an
answer came in, the state of an alert's texts (an escalation step's words are in
``escalation_words``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from amparo.channels.models import Delivery
from amparo.channels.registry import transport_label


def answer_via_label(via: str) -> str:
    """How an answer came in: the link page, a text on one transport, a phone call."""
    if via == "link":
        return _("on the link page")
    return transport_label(via) if via else ""


def delivery_status_label(status: str) -> str:
    return str(dict(Delivery.Status.choices).get(status, status))


def sending_text(deliveries: dict[str, int]) -> str:
    """The state of an alert's texts: going out (n of total) or all out; "" before any."""
    total = sum(deliveries.values())
    if not total:
        return ""
    waiting = deliveries.get(Delivery.Status.QUEUED, 0) + deliveries.get(Delivery.Status.SENDING, 0)
    out = total - waiting
    if waiting:
        return _("texts going out: %(out)s of %(total)s") % {"out": out, "total": total}
    return _("all %(total)s texts sent") % {"total": total}
