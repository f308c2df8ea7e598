"""Escalation: keep pushing until enough people are going.

A policy's steps become ``EscalationStep`` rows with a due time at launch; the sweep claims
due rows with a conditional UPDATE and runs each once, so a restart loses nothing (a claim
left by a dead worker is taken again after :data:`STALE_CLAIM`). A widen step or call-out
asks as many more as the shortfall needs, scaled by :func:`yes_rate`, nearest first —
never everyone in the next ring. Stop/skip mark the step done while a running step holds
its row lock, so a step is either run or stopped, never both.
"""

from __future__ import annotations

import logging
import math
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet
from django.urls import NoReverseMatch
from django.utils import timezone, translation
from django.utils.translation import gettext

from amparo.accounts.models import User
from amparo.accounts.roles import Cap
from amparo.channels.models import Delivery
from amparo.channels.outbox import outbox_write
from amparo.channels.registry import sms_channel, voice_channel
from amparo.people.filters import may_be_alerted_as
from amparo.people.models import Person
from amparo.people.services import people_with_capability
from amparo.people.texting import people_text

from .models import Alert, AlertKind, AlertRecipient, EscalationPolicy, EscalationStep, alert_audit
from .outbox import Row, alert_purpose, alert_rows_write
from .planning import nearest
from .services import answer_link, render, reply_code, sample_values, template_for, token_hash

log = logging.getLogger(__name__)

STALE_CLAIM = timedelta(minutes=5)
GOING = (AlertRecipient.Status.GOING, AlertRecipient.Status.ARRIVED)
OPEN = (Alert.Status.SENDING,)

#: The audience each kind of call-out widens to.
ROLES_BY_KIND: dict[str, list[str]] = {
    AlertKind.SQUAD: ["rapid-responder"],
    AlertKind.LEGAL: ["attorney"],
    AlertKind.VERIFICATION: ["verifier"],
}

#: Default policies, as data (the demo seeds them; a network can edit its own rows).
DEFAULT_POLICIES: dict[str, list[dict[str, Any]]] = {
    AlertKind.SQUAD: [
        {"after_minutes": 10, "action": "widen", "radius_km": 15},
        {"after_minutes": 15, "action": "voice", "tier": 2},
        {"after_minutes": 20, "action": "page_coordinators"},
    ],
    AlertKind.LEGAL: [
        {"after_minutes": 15, "need": 2, "action": "widen", "radius_km": 60},
        {"after_minutes": 25, "need": 2, "action": "page_coordinators"},
    ],
}


def default_policy_steps(kind: str) -> list[dict[str, Any]]:
    """The default escalation steps for an alert kind (a copy; [] for kinds with none)."""
    return [dict(step) for step in DEFAULT_POLICIES.get(kind, [])]


def policy_steps(alert: Alert) -> list[dict[str, Any]]:
    policy = EscalationPolicy.objects.filter(network=alert.network_id, kind=alert.kind).first()
    if policy is not None:
        return list(policy.steps or [])
    return default_policy_steps(alert.kind)


def escalation_schedule(*, alert: Alert, start: datetime | None = None) -> int:
    """Write the alert's policy as due rows (idempotent; drills never escalate); how many."""
    if alert.is_drill:
        return 0
    start = start or alert.launched_at or timezone.now()
    written = 0
    for position, step in enumerate(policy_steps(alert)):  # positions as alert_launch writes
        params = {k: v for k, v in step.items() if k not in ("after_minutes", "action")}
        _, created = EscalationStep.objects.get_or_create(
            alert=alert,
            position=position,
            defaults={
                "action": str(step.get("action", "")),
                "params": params,
                "due_at": start + timedelta(minutes=float(step.get("after_minutes", 0))),
            },
        )
        written += int(created)
    return written


def _claim(step_id: int, now: datetime) -> bool:
    claimable = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - STALE_CLAIM)
    return (
        EscalationStep.objects.filter(claimable, pk=step_id, done_at__isnull=True).update(
            claimed_at=now
        )
        == 1
    )


Outcome = dict[str, Any]


def escalation_sweep(*, limit: int = 200) -> int:
    """Run every due step, once each, however many workers sweep (a done step is skipped)."""
    now = timezone.now()
    due = (
        EscalationStep.objects.filter(done_at__isnull=True, due_at__lte=now)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - STALE_CLAIM))
        .order_by("due_at", "position")
        .values_list("pk", flat=True)[:limit]
    )
    ran = 0
    for step_id in list(due):
        if not _claim(step_id, now):
            continue
        try:
            with transaction.atomic():  # the row stays locked while the step runs
                step = (
                    EscalationStep.objects.select_for_update(of=("self",))
                    .select_related("alert", "alert__network")
                    .filter(pk=step_id, done_at__isnull=True)
                    .first()
                )
                if step is None:  # stopped or skipped by the dispatcher meanwhile
                    continue
                outcome = escalation_run(step)
                EscalationStep.objects.filter(pk=step_id).update(
                    done_at=timezone.now(), result=outcome_code(outcome), outcome=outcome
                )
        except Exception:  # noqa: BLE001 - left claimed; retried after STALE_CLAIM
            log.exception("escalation step %s failed", step_id)
            continue
        ran += 1
    return ran


def outcome_code(outcome: Outcome) -> str:
    """The short code kept in ``EscalationStep.result`` ("asked 4", "satisfied")."""
    code = str(outcome.get("code", ""))
    return (f"{code} {outcome['n']}" if "n" in outcome else code)[:60]


def going_count(alert: Alert) -> int:
    return AlertRecipient.objects.filter(alert=alert, status__in=GOING).count()


def step_need(step: EscalationStep) -> int:
    need = (step.params or {}).get("need")
    return int(need) if need else int(step.alert.target_going or 1)


def escalation_run(step: EscalationStep) -> Outcome:
    """Run one step now; returns what it did (codes and counts, no personal data)."""
    alert = step.alert
    if alert.status not in OPEN:
        return {"code": "closed"}
    going = going_count(alert)
    need = step_need(step)
    if going >= need:
        return {"code": "satisfied", "going": going, "need": need}
    action = step.action
    if action == "widen":
        return _widen(alert, step, short=need - going)
    if action == "voice":
        return _voice(alert, step, short=need - going)
    if action == "page_coordinators":
        return _page_coordinators(alert, going=going, need=need)
    return {"code": "unknown"}


# --- how many to ask ----------------------------------------------------------------


def _share_yes(recipients: QuerySet[AlertRecipient]) -> tuple[int, int]:
    """(asked, said yes) among ``recipients``: one query."""
    counts = dict(recipients.values_list("status").annotate(n=Count("pk")).order_by())
    return sum(counts.values()), sum(counts.get(s, 0) for s in GOING)


def yes_rate(alert: Alert) -> float:
    """The share of people asked who say yes: this alert's so far once enough were asked,
    else the network's over recent call-outs of the same kind, else the default; never
    below the floor (``settings.ALERT_ESCALATION``)."""
    tuning = settings.ALERT_ESCALATION
    floor, sample = float(tuning["floor"]), int(tuning["min_sample"])
    asked, yes = _share_yes(AlertRecipient.objects.filter(alert=alert))
    if asked < sample:
        since = timezone.now() - timedelta(days=float(tuning["days"]))
        asked, yes = _share_yes(
            AlertRecipient.objects.filter(
                alert__network=alert.network_id,
                alert__kind=alert.kind,
                alert__is_drill=False,
                alert__launched_at__gte=since,
            ).exclude(alert=alert)
        )
    rate = yes / asked if asked >= sample else float(tuning["default"])
    return min(1.0, max(floor, rate))


def ask_count(short: int, rate: float) -> int:
    """More to ask for ``short`` more people at yes-rate ``rate`` (1 at 30 % → 4), ≤ ``max_ask``."""
    if short <= 0:
        return 0
    wanted = math.ceil(short / max(rate, 0.01) - 1e-9)
    return max(short, min(wanted, int(settings.ALERT_ESCALATION["max_ask"])))


# --- the dispatcher's controls ------------------------------------------------------


class EscalationError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _controllable(alert: Alert) -> QuerySet[EscalationStep]:
    if alert.status not in OPEN:
        raise EscalationError(gettext("This alert is over: its escalation no longer runs."))
    return EscalationStep.objects.filter(alert=alert, done_at__isnull=True)


def escalation_stop(*, alert: Alert, actor: User) -> int:
    """Stop the alert's waiting steps (audited); how many. A step running finishes first."""
    with transaction.atomic():
        stopped = _controllable(alert).update(
            done_at=timezone.now(), result="stopped", outcome={"code": "stopped"}
        )
        if not stopped:
            raise EscalationError(gettext("No escalation step is waiting: nothing to stop."))
        alert_audit(alert, actor, "escalation", f"escalation stopped: {stopped} steps")
    return stopped


def escalation_skip(*, alert: Alert, actor: User) -> EscalationStep:
    """Skip the alert's next step not being run (audited); the ones after it still run."""
    stale = timezone.now() - STALE_CLAIM
    with transaction.atomic():
        waiting = _controllable(alert).filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        step = waiting.order_by("due_at", "position").first()
        if step is None or not EscalationStep.objects.filter(
            pk=step.pk, done_at__isnull=True
        ).update(done_at=timezone.now(), result="skipped", outcome={"code": "skipped"}):
            raise EscalationError(gettext("No escalation step is waiting: nothing to skip."))
        alert_audit(
            alert, actor, "escalation", f"escalation step {step.position} skipped ({step.action})"
        )
    step.refresh_from_db()
    return step


# --- helpers -------------------------------------------------------------------


def _alert_point(alert: Alert) -> tuple[float, float] | None:
    if alert.kind == AlertKind.LEGAL and alert.facility is not None:
        return alert.facility.latitude, alert.facility.longitude
    point = alert.incident.point if alert.incident_id and alert.incident else None
    if point:
        return float(point["lat"]), float(point["lng"])
    if alert.facility is not None:
        return alert.facility.latitude, alert.facility.longitude
    return None


def message_for(alert: Alert, language: str, *, values: dict[str, str] | None = None) -> str:
    """The alert's message in a language, placeholders filled; a drill's always starts
    with DRILL (in English and in the recipient's language), whatever was typed."""
    text = render(template_for(alert, language), {**sample_values(alert), **(values or {})})
    if alert.is_drill:
        with translation.override(language):
            marker = gettext("DRILL")
        prefix = "[DRILL] " if marker == "DRILL" else f"[DRILL/{marker}] "
        text = prefix + text
    return str(text)


def recipient_body(recipient: AlertRecipient) -> str:
    """A fresh magic link and reply code for ``recipient`` (saved) and its message."""

    token = secrets.token_urlsafe(16)
    recipient.token_hash = token_hash(token)
    recipient.code = reply_code()
    recipient.save(update_fields=["token_hash", "code"])
    try:
        link = answer_link(token)
    except NoReverseMatch:  # the answer page is not mounted
        link = ""
    return message_for(
        recipient.alert, recipient.language, values={"link": link, "code": recipient.code}
    )


def recipient_send(
    recipient: AlertRecipient, *, channel: str, to: str, body: str, rank: int = 0
) -> bool:
    """One delivery of an alert to a recipient (first choice through ``alert_rows_write``)."""
    alert = recipient.alert
    if not to:
        return False
    if rank == 0:
        row = Row(
            recipient, recipient.person, channel, to, body, recipient.language, recipient.tier, 0
        )
        return alert_rows_write(alert=alert, rows=[row]) > 0
    try:
        with transaction.atomic():
            outbox_write(
                network=alert.network,
                channel=channel,
                to=to,
                body=body,
                purpose=alert_purpose(alert),
                language=recipient.language,
                expires_at=alert.expires_at,
                alert=alert,
                recipient=recipient,
                person_id=recipient.person_id,
                tier=recipient.tier,
                channel_rank=rank,
            )
    except IntegrityError:  # already sent to this recipient on this channel
        return False
    return True


def _widen(alert: Alert, step: EscalationStep, *, short: int) -> Outcome:
    params = step.params or {}
    radius = float(params.get("radius_km") or alert.radius_km * 2)
    km = int(radius) if radius == int(radius) else radius
    point = _alert_point(alert)
    if point is None:
        return {"code": "no_point"}
    transport = sms_channel()
    if not transport:
        return {"code": "no_channel", "channel": "sms"}
    roles = params.get("roles") or ROLES_BY_KIND.get(alert.kind, ["rapid-responder"])
    asked = AlertRecipient.objects.filter(alert=alert).values("person_id")
    people: QuerySet[Person] = may_be_alerted_as(alert.network, list(roles))
    people = people.exclude(pk__in=asked).filter(reach_sms=True)  # textable: people/reach.py
    rate = yes_rate(alert)
    want = ask_count(short, rate)
    tier = int(params.get("tier") or 0) or (
        max(AlertRecipient.objects.filter(alert=alert).values_list("tier", flat=True), default=0)
        + 1
    )
    # nearest first, a few spare for people asked meanwhile (their row already exists)
    ranked = nearest(people, point[0], point[1], limit=want + 10, max_km=radius)
    by_pk = Person.objects.prefetch_related("phones").in_bulk([pk for pk, _km in ranked])
    added = 0
    for pk, distance in ranked:
        person = by_pk.get(pk)
        number = person.address_on("sms") if person else ""
        if person is None or not number:
            continue
        with transaction.atomic():
            try:
                with transaction.atomic():
                    recipient = AlertRecipient.objects.create(
                        alert=alert,
                        person=person,
                        tier=tier,
                        language=person.language,
                        distance_km=distance if math.isfinite(distance) else None,
                    )
            except IntegrityError:
                continue
            recipient_send(recipient, channel=transport, to=number, body=recipient_body(recipient))
        added += 1
        if added >= want:
            break
    outcome: Outcome = {"code": "asked" if added else "nobody", "km": km, "channel": "sms"}
    if added:
        outcome.update(n=added, tier=tier)
    outcome.update(short=short, rate=round(rate * 100))
    return outcome


def _voice(alert: Alert, step: EscalationStep, *, short: int) -> Outcome:
    transport = voice_channel()
    if not transport:
        return {"code": "no_channel", "channel": "voice"}
    called_already = Delivery.objects.filter(alert=alert, channel=transport).values("recipient_id")
    silent = (
        AlertRecipient.objects.filter(alert=alert, status=AlertRecipient.Status.PENDING)
        .exclude(pk__in=called_already)
        .select_related("person", "alert", "alert__network")
        .order_by(F("distance_km").asc(nulls_last=True), "tier", "pk")
    )
    tier = (step.params or {}).get("max_tier") or (step.params or {}).get("tier")
    if tier:
        silent = silent.filter(tier__lte=int(tier))
    rate = yes_rate(alert)
    want = ask_count(short, rate)
    called = 0
    for recipient in silent.iterator(chunk_size=100):
        person = recipient.person
        if not person.reach_voice:  # no live number for calls, or opted out of them
            continue
        if recipient_send(
            recipient,
            channel=transport,
            to=person.address_on("voice"),
            body=message_for(alert, recipient.language, values={"link": "", "code": ""}),
            rank=1,
        ):
            called += 1
        if called >= want:
            break
    return {
        "code": "called" if called else "nobody_to_call",
        "n": called,
        "short": short,
        "rate": round(rate * 100),
    }


def coordinators(alert: Alert) -> list[Person]:
    """People linked to a user who can manage the network (Cap.NETWORK_MANAGE)."""
    return people_with_capability(alert.network, Cap.NETWORK_MANAGE)


def _page_coordinators(alert: Alert, *, going: int, need: int) -> Outcome:
    if not sms_channel():
        return {"code": "no_channel", "channel": "sms"}
    url = f"{settings.BASE_URL}/alerts/board/{alert.pk}/"
    values = {"going": going, "need": need, "alert": alert.pk, "url": url}

    def body() -> str:
        text = gettext(
            "Amparo: only %(going)s of %(need)s going for alert %(alert)s. "
            "Find more people: %(url)s"
        )
        return ("[DRILL] " if alert.is_drill else "") + text % values

    paged = people_text(coordinators(alert), body, "page")
    return {"code": "paged", "n": paged, "going": going, "need": need}
