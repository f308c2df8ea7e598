"""Codes the alerts app stores, as people read them, in the active language: an
escalation step's action and result, how an answer came in, the state of an alert's
texts. The one place the board and the timeline turn them into words (a new step
action or result code gets its words here)."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from amparo.channels.models import Delivery
from amparo.channels.registry import transport_label

STEP_ACTIONS = {
    "widen": gettext_lazy("ask more people"),
    "voice": gettext_lazy("phone the silent"),
    "page_coordinators": gettext_lazy("page the coordinators"),
}
STEP_RESULTS = {
    "alert closed": gettext_lazy("nothing: the alert was over"),
    "satisfied": gettext_lazy("not needed: enough people are going"),
    "unknown action": gettext_lazy("nothing: unknown step"),
    "no point": gettext_lazy("nothing: the incident has no place on the map"),
    "no sms channel": gettext_lazy("nothing: no text channel is set up"),
    "no voice channel": gettext_lazy("nothing: no phone-call channel is set up"),
}
STEP_RESULT_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"^widened (\d+) tier (\d+)$"),
        lambda m: (
            ngettext(
                "asked %(n)s more person (tier %(t)s)",
                "asked %(n)s more people (tier %(t)s)",
                int(m[1]),
            )
            % {"n": m[1], "t": m[2]}
        ),
    ),
    (
        re.compile(r"^voice (\d+)$"),
        lambda m: ngettext("phoned %(n)s person", "phoned %(n)s people", int(m[1])) % {"n": m[1]},
    ),
    (
        re.compile(r"^paged (\d+)$"),
        lambda m: (
            ngettext("paged %(n)s coordinator", "paged %(n)s coordinators", int(m[1])) % {"n": m[1]}
        ),
    ),
]


def step_action_label(action: str) -> str:
    return str(STEP_ACTIONS.get(action, action))


def step_result_text(result: str) -> str:
    if result in STEP_RESULTS:
        return str(STEP_RESULTS[result])
    for pattern, words in STEP_RESULT_PATTERNS:
        if match := pattern.match(result or ""):
            return words(match)
    return result


def answer_via_label(via: str) -> str:
    """How an answer came in: the link page, a text on one transport, a phone call."""
    if via == "link":
        return _("on the link page")
    return transport_label(via) if via else ""


def delivery_status_label(status: str) -> str:
    return str(dict(Delivery.Status.choices).get(status, status))


def sending_text(deliveries: dict[str, int]) -> str:
    """What is true about an alert's texts: still going out (how many of how many), or
    all out; "" before any is written."""
    total = sum(deliveries.values())
    if not total:
        return ""
    waiting = deliveries.get(Delivery.Status.QUEUED, 0) + deliveries.get(Delivery.Status.SENDING, 0)
    out = total - waiting
    if waiting:
        return _("texts going out: %(out)s of %(total)s") % {"out": out, "total": total}
    return _("all %(total)s texts sent") % {"total": total}
