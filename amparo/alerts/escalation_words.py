"""An alert's escalation in words, for the board and the timeline (English and Spanish):
what each step will do and when ("at 10:42, in 4 minutes"), and what it did ("Asked 4
more responders within 15 km by text"), from its data (``EscalationStep.outcome``),
never its raw codes."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext, ngettext, pgettext

from .escalation import policy_steps
from .models import AlertKind, EscalationStep

#: legacy ``result`` codes (rows written before ``outcome`` existed) → an outcome
_LEGACY = {"satisfied": "satisfied", "alert closed": "closed", "stopped": "stopped"}


def outcome_of(step: EscalationStep) -> dict[str, Any]:
    if step.outcome:
        return dict(step.outcome)
    result = step.result or ""
    head, _sep, tail = result.partition(" ")
    if head in ("widened", "voice", "paged") and tail.split(" ")[0].isdigit():
        n = int(tail.split(" ")[0])
        code = {"widened": "asked", "voice": "called", "paged": "paged"}[head]
        return {"code": code if n else "nobody", "n": n}
    return {"code": _LEGACY.get(result, "closed")}


def in_minutes(at: datetime, now: datetime) -> str:
    """ "in 4 minutes", "now", "3 minutes ago"."""
    minutes = round((at - now).total_seconds() / 60)
    if minutes > 0:
        return ngettext("in %(n)d minute", "in %(n)d minutes", minutes) % {"n": minutes}
    if minutes < 0:
        return ngettext("%(n)d minute ago", "%(n)d minutes ago", -minutes) % {"n": -minutes}
    return gettext("now")


def _asked(kind: str, n: int, km: Any, channel: str) -> str:
    values = {"n": n, "km": km}
    if channel == "voice":
        text = ngettext("Called %(n)d by voice", "Called %(n)d by voice", n)
    elif km is None:  # a step recorded before the distance was kept
        text = ngettext("Asked %(n)d more by text", "Asked %(n)d more by text", n)
    elif kind == AlertKind.LEGAL:
        text = ngettext(
            "Asked %(n)d more attorney within %(km)s km by text",
            "Asked %(n)d more attorneys within %(km)s km by text",
            n,
        )
    else:
        text = ngettext(
            "Asked %(n)d more responder within %(km)s km by text",
            "Asked %(n)d more responders within %(km)s km by text",
            n,
        )
    return text % values


def planned_text(step: EscalationStep, *, kind: str, need: int) -> str:
    """What a step will do when it runs."""
    params = step.params or {}
    km = params.get("radius_km") or step.alert.radius_km * 2  # as the widen step reads it
    values = {"need": need, "km": f"{float(km):g}"}
    if step.action == "widen":
        if kind == AlertKind.LEGAL:
            text = gettext(
                "If fewer than %(need)s attorneys are confirmed: ask more attorneys within "
                "%(km)s km by text, nearest first, as many as are still needed"
            )
        else:
            text = gettext(
                "If fewer than %(need)s are going: ask more responders within %(km)s km by "
                "text, nearest first, as many as are still needed"
            )
        return text % values
    if step.action == "voice":
        text = gettext(
            "If fewer than %(need)s are going: call by voice those who have not answered, "
            "as many as are still needed"
        )
        return text % values
    if step.action == "page_coordinators":
        return gettext("If fewer than %(need)s are going: text the coordinators") % values
    return gettext("Escalation step")


def done_text(step: EscalationStep, *, kind: str) -> str:
    """What a step did, in words."""
    out = outcome_of(step)
    code, n = out.get("code"), int(out.get("n") or 0)
    if code == "asked":
        return _asked(kind, n, out.get("km"), str(out.get("channel", "sms")))
    if code == "called":
        return _asked(kind, n, None, "voice")
    if code == "nobody":
        if out.get("km"):
            return gettext("Nobody more to ask within %(km)s km") % {"km": out["km"]}
        return gettext("Nobody more to ask")
    if code == "nobody_to_call":
        return gettext("Nobody left to call: everyone asked has answered or was called")
    if code == "paged":
        return (
            ngettext("Texted %(n)d coordinator", "Texted %(n)d coordinators", n) % {"n": n}
            if n
            else gettext("No coordinator has a number to text")
        )
    if code == "satisfied":
        return gettext("Not needed: enough people were going")
    if code == "skipped":
        return gettext("Skipped by the dispatcher")
    if code == "stopped":
        return gettext("Stopped by the dispatcher")
    if code == "no_channel":
        if out.get("channel") == "voice":
            return gettext("Could not run: no phone-call channel is set up")
        return gettext("Could not run: no text-message channel is set up")
    if code == "no_point":
        return gettext("Could not run: the alert has no place to measure distance from")
    if code == "closed":
        return gettext("Did not run: the alert was over")
    return gettext("Did not run")


def why_text(step: EscalationStep) -> str:
    """Why it asked that many: "1 more needed; about 30% say yes"."""
    out = outcome_of(step)
    if out.get("code") not in ("asked", "called") or "short" not in out:
        return ""
    short = int(out["short"])
    return ngettext(
        "%(short)d more needed; about %(rate)d%% of those asked say yes",
        "%(short)d more needed; about %(rate)d%% of those asked say yes",
        short,
    ) % {"short": short, "rate": int(out.get("rate") or 0)}


def step_state(step: EscalationStep) -> str:
    if step.done_at is not None:
        code = outcome_of(step).get("code")
        return str(code) if code in ("skipped", "stopped") else "done"
    return "running" if step.claimed_at is not None else "planned"


def short_text(action: str) -> str:
    """A step's action in a few words, for the board's "next escalation" figure."""
    words = {
        "widen": pgettext("escalation action", "ask more people"),
        "voice": pgettext("escalation action", "call by voice"),
        "page_coordinators": pgettext("escalation action", "text the coordinators"),
    }
    return str(words.get(action, gettext("Escalation step")))


def step_entry(
    step: EscalationStep, *, kind: str, need: int, now: datetime, zone: tzinfo
) -> dict[str, Any]:
    """One step for the board (and its live feed): when, what, and its state."""
    state = step_state(step)
    at = step.done_at if step.done_at is not None else step.due_at
    if state == "planned":
        text = planned_text(step, kind=kind, need=need)
    elif state == "running":
        text = gettext("Running now: %(what)s") % {"what": planned_text(step, kind=kind, need=need)}
    else:
        text = done_text(step, kind=kind)
    labels = {
        "planned": pgettext("escalation step", "planned"),
        "running": pgettext("escalation step", "running"),
        "done": pgettext("escalation step", "done"),
        "skipped": pgettext("escalation step", "skipped"),
        "stopped": pgettext("escalation step", "stopped"),
    }
    return {
        "id": step.pk,
        "state_label": labels[state],
        "position": step.position,
        "action": step.action,
        "state": state,
        "done": step.done_at is not None,
        "due_at": step.due_at.isoformat(),
        "at": at.isoformat(),
        "time": time_format(timezone.localtime(at, zone), "H:i"),
        "relative": in_minutes(at, now),
        "text": text,
        "short": short_text(step.action),
        # what the step would have done, for one the dispatcher skipped or stopped
        "why": why_text(step)
        if state == "done"
        else planned_text(step, kind=kind, need=need)
        if state in ("skipped", "stopped")
        else "",
        "result": step.result,
    }


def timeline_text(step: EscalationStep, *, kind: str) -> str:
    """A done step, for the timeline (a skipped one says what it would have done)."""
    text = done_text(step, kind=kind)
    if outcome_of(step).get("code") == "skipped":
        need = int((step.params or {}).get("need") or step.alert.target_going or 1)
        return gettext("Skipped by the dispatcher: %(what)s") % {
            "what": planned_text(step, kind=kind, need=need)
        }
    if why := why_text(step):
        text = f"{text} ({why})"
    return text


def escalation_events(alert: Any, done: list[EscalationStep]) -> list[dict[str, Any]]:
    """The timeline's events for an alert's done steps: one per step run or skipped, one a stop."""
    events: list[dict[str, Any]] = []
    stopped = [s for s in done if outcome_of(s).get("code") == "stopped"]
    for step in done:
        if step in stopped:
            continue
        events.append(
            {
                "at": step.done_at,
                "what": "escalation",
                "alert": alert,
                "action": step.action,
                "text": timeline_text(step, kind=alert.kind),
            }
        )
    if stopped:
        n = len(stopped)
        events.append(
            {
                "at": min(s.done_at for s in stopped if s.done_at is not None),
                "what": "escalation",
                "alert": alert,
                "action": "stop",
                "text": ngettext(
                    "Stopped by the dispatcher: %(n)d step will not run",
                    "Stopped by the dispatcher: %(n)d steps will not run",
                    n,
                )
                % {"n": n},
            }
        )
    return events


def policy_in_words(alert: Any) -> list[dict[str, Any]]:
    """What escalation will do for an alert not sent yet (its network's policy for the
    kind, or the default), for a plan preview:
    [{"after_minutes", "when", "text", "action", "radius_km"}]."""
    if alert.is_drill:
        return []
    out = []
    for position, raw in enumerate(policy_steps(alert)):
        params = {k: v for k, v in raw.items() if k not in ("after_minutes", "action")}
        step = EscalationStep(alert=alert, position=position, action=raw.get("action", ""))
        step.params = params
        need = int(params.get("need") or alert.target_going or 1)
        minutes = int(float(raw.get("after_minutes", 0)))
        out.append(
            {
                "after_minutes": minutes,
                "when": ngettext("after %(n)d minute", "after %(n)d minutes", minutes)
                % {"n": minutes},
                "text": planned_text(step, kind=alert.kind, need=need),
                "action": step.action,
                "radius_km": float(params.get("radius_km") or alert.radius_km * 2),
            }
        )
    return out
