"""The alert outbox: write every delivery of an alert at once, send them paced and in
tier order per sender, retry, fail over to the person's next channel, stop when they
answer.

- ``outbox_write`` — the last gate (``require_alert_allowed``) and one bulk insert of
  the first-choice rows; re-running it is a no-op (unique per recipient and channel).
- ``outbox_drain(sender=)`` — a sender loop: claim (``pacing.claim_next``), sleep to
  the slot, ``outbox_send``; until nothing is due.
- ``outbox_send`` — one row: expired → expired; answered → cancelled; circuit open →
  fail over at once; transient error → backoff with jitter; permanent / out of
  attempts → fail over.
- ``outbox_sweep`` — rows due, abandoned, failed by a status callback, or sent with no
  receipt in time: fail over, and the senders that have work now.
- ``escalation_sweep`` — due escalation steps (``amparo.alerts.escalation`` runs them).

``Delivery.channel`` holds the transport slug (as everywhere in channels); a person's
channel (sms, email, …) maps to a transport by ``channel_transports()``.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from amparo.channels.base import TransportError
from amparo.channels.models import Delivery
from amparo.channels.registry import TRANSPORTS, get_transport, sms_transport
from amparo.people.models import Person
from amparo.reports.services import AlertNotAllowed, require_alert_allowed

from . import pacing
from .models import Alert, AlertKind, AlertRecipient

log = logging.getLogger(__name__)

S = Delivery.Status
ANSWERED = "cancelled: answered"
CIRCUIT_OPEN = "circuit open"
NO_RECEIPT = "no delivery receipt"
LAST_CHANNEL = " [no next channel]"


# --- configuration ---------------------------------------------------------------


def channel_transports() -> dict[str, str]:
    default_sms = sms_transport() or "sandbox"
    return dict(pacing.setting("ALERT_CHANNEL_TRANSPORTS", {"sms": default_sms, "email": "email"}))


def sender_for(slug: str) -> str:
    """The pacing key: the transport, and the number it sends from when known."""
    if slug == "twilio_sms" and settings.TWILIO_FROM_NUMBER:
        return f"{slug}:{settings.TWILIO_FROM_NUMBER}"[:40]
    return slug


def retry_delay(attempts: int) -> float:
    """Capped exponential backoff with full jitter (half to all of the step)."""
    base = float(pacing.setting("ALERT_RETRY_BASE_SECONDS", 5))
    cap = float(pacing.setting("ALERT_RETRY_CAP_SECONDS", 120))
    step = min(cap, base * 2 ** max(attempts - 1, 0))
    return step * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not a secret


# --- circuit breaker (per provider, per worker process) ------------------------


class CircuitBreaker:
    """K consecutive failures within T seconds open the circuit for a cooldown.

    Kept in each worker process's memory: a breaker is about not waiting on a dead
    provider, and each process learns that within K sends."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.failures: dict[str, list[float]] = {}
        self.open_until: dict[str, float] = {}

    def _conf(self) -> tuple[int, float, float]:
        conf = pacing.setting("ALERT_CIRCUIT", {})
        return (
            int(conf.get("failures", 5)),
            float(conf.get("window_seconds", 30)),
            float(conf.get("cooldown_seconds", 60)),
        )

    def is_open(self, slug: str) -> bool:
        with self.lock:
            return self.open_until.get(slug, 0.0) > time.monotonic()

    def success(self, slug: str) -> None:
        with self.lock:
            self.failures.pop(slug, None)

    def failure(self, slug: str) -> None:
        k, window, cooldown = self._conf()
        now = time.monotonic()
        with self.lock:
            recent = [t for t in self.failures.get(slug, []) if t > now - window] + [now]
            self.failures[slug] = recent
            if len(recent) >= k:
                self.open_until[slug] = now + cooldown
                self.failures[slug] = []
                log.warning("circuit open for transport %s", slug)

    def reset(self) -> None:
        with self.lock:
            self.failures.clear()
            self.open_until.clear()


BREAKER = CircuitBreaker()


# --- writing ---------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    recipient: AlertRecipient
    person: Person
    channel: str  # transport slug
    to_address: str
    body: str
    language: str
    tier: int
    channel_rank: int


def _require_allowed(alert: Alert) -> None:
    """The last gate: nothing beyond verifiers for an unconfirmed incident."""
    if alert.kind == AlertKind.VERIFICATION or alert.is_drill or alert.kind == AlertKind.DRILL:
        return

    if alert.incident is None:
        if alert.kind in (AlertKind.SQUAD, AlertKind.LEGAL):
            raise AlertNotAllowed("a squad or legal call-out needs a confirmed incident")
        return
    require_alert_allowed(alert.incident)


def outbox_write(*, alert: Alert, rows: Iterable[tuple[Any, ...] | Row]) -> int:
    """Save every first-choice delivery of the alert in one transaction; returns how
    many rows are new. Rows with ``channel_rank > 0`` are not written: failover
    derives the next channel from the person when the first one fails."""
    _require_allowed(alert)
    parsed = [r if isinstance(r, Row) else Row(*r) for r in rows]
    max_attempts = int(pacing.setting("ALERT_MAX_ATTEMPTS", settings.DELIVERY_MAX_ATTEMPTS))
    now = timezone.now()
    objs = []
    for row in parsed:
        if row.channel_rank != 0:
            continue
        get_transport(row.channel)  # an unknown transport fails before anything is saved
        objs.append(
            Delivery(
                network_id=alert.network_id,
                channel=row.channel,
                purpose="alert",
                to_address=row.to_address,
                body=row.body,
                language=row.language,
                due_at=now,
                expires_at=alert.expires_at,
                max_attempts=max_attempts,
                alert=alert,
                recipient=row.recipient,
                person=row.person,
                tier=row.tier,
                sender=sender_for(row.channel),
                channel_rank=0,
            )
        )
    with transaction.atomic():
        before = Delivery.objects.filter(alert=alert).count()
        Delivery.objects.bulk_create(objs, ignore_conflicts=True, batch_size=500)
        created = Delivery.objects.filter(alert=alert).count() - before
        senders = sorted({o.sender for o in objs})
        transaction.on_commit(lambda: _enqueue_drains(senders))
    return created


def _enqueue_drains(senders: Iterable[str]) -> None:
    from .tasks import outbox_drain

    for sender in senders:
        outbox_drain(sender)


# --- sending ---------------------------------------------------------------------


def recipient_answered_stop(recipient: AlertRecipient) -> int:
    """They answered: cancel whatever is still queued for them, on every channel."""
    return Delivery.objects.filter(
        recipient=recipient, status__in=[S.QUEUED, S.SENDING], sent_at__isnull=True
    ).update(status=S.EXPIRED, error=ANSWERED, claimed_at=None)


def outbox_drain(*, sender: str, max_seconds: float = 30.0) -> int:
    """Send the sender's due rows, paced, in tier order; returns how many were tried."""
    started = time.monotonic()
    tried = 0
    while time.monotonic() - started < max_seconds:
        claim = pacing.claim_next(sender)
        if claim is None:
            break
        wait = (claim.slot - timezone.now()).total_seconds()
        if wait > 0:
            time.sleep(wait)
        outbox_send(delivery_id=claim.delivery_id)
        tried += 1
    return tried


def outbox_send(*, delivery_id: int) -> str:
    """Send one claimed row and record what happened; returns its status."""
    delivery = Delivery.objects.select_related("recipient").get(pk=delivery_id)
    if delivery.status != S.SENDING:
        return delivery.status
    now = timezone.now()
    recipient = delivery.recipient
    if recipient is not None and recipient.status != AlertRecipient.Status.PENDING:
        recipient_answered_stop(recipient)
        return S.EXPIRED
    if delivery.expires_at and delivery.expires_at <= now:
        Delivery.objects.filter(pk=delivery.pk).update(status=S.EXPIRED, error="expired")
        return S.EXPIRED
    if BREAKER.is_open(delivery.channel):
        _fail(delivery, CIRCUIT_OPEN)
        return S.FAILED
    try:
        ref = get_transport(delivery.channel).send(delivery)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded, never lost
        if isinstance(exc, TransportError):
            message, permanent = exc.message, exc.permanent
        else:
            message, permanent = f"unexpected {type(exc).__name__}", False
        BREAKER.failure(delivery.channel)
        if permanent or delivery.attempts >= delivery.max_attempts:
            _fail(delivery, message)
            return S.FAILED
        Delivery.objects.filter(pk=delivery.pk, status=S.SENDING).update(
            status=S.QUEUED,
            claimed_at=None,
            error=message[:200],
            due_at=timezone.now() + timedelta(seconds=retry_delay(delivery.attempts)),
        )
        log.warning("alert delivery %s attempt %s failed", delivery.pk, delivery.attempts)
        _schedule_drain(delivery.sender)
        return S.QUEUED
    BREAKER.success(delivery.channel)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=S.SENT, provider_ref=ref.id[:100], sent_at=timezone.now(), error=""
    )
    return S.SENT


def _schedule_drain(sender: str) -> None:
    from .tasks import outbox_drain_later

    due = pacing.next_due(sender)
    if due is not None:
        outbox_drain_later(sender, due)


def _fail(delivery: Delivery, message: str) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(status=S.FAILED, error=message[:200])
    delivery.status, delivery.error = S.FAILED, message[:200]
    failover(delivery)


def _address(person: Person, channel: str) -> str:
    if channel in ("sms", "voice"):
        flag = "sms_ok" if channel == "sms" else "voice_ok"
        for phone in person.phones.filter(dead_at__isnull=True, **{flag: True}):
            return str(phone.number)
        return ""
    if channel == "email":
        return str(person.email or "")
    return ""  # telegram/signal: no address source yet


def failover(delivery: Delivery) -> Delivery | None:
    """Create the recipient's next channel (the person's order), skipping channels
    with no transport, no address, an open circuit, or a row already."""
    recipient = delivery.recipient
    person = delivery.person
    if recipient is None or person is None:
        return None
    recipient.refresh_from_db(fields=["status"])
    if recipient.status != AlertRecipient.Status.PENDING:
        return None
    if delivery.expires_at and delivery.expires_at <= timezone.now():
        return None
    transports = channel_transports()
    channels = person.reachable_channels()
    held_back = False
    for rank, channel in enumerate(channels):
        if rank <= delivery.channel_rank:
            continue
        slug = transports.get(channel, "")
        if not slug or slug not in TRANSPORTS:
            continue
        if BREAKER.is_open(slug):
            held_back = True  # worth another look once the circuit closes
            continue
        if Delivery.objects.filter(recipient=recipient, channel=slug).exists():
            continue
        address = _address(person, channel)
        if not address:
            continue
        with transaction.atomic():
            created = Delivery.objects.bulk_create(
                [
                    Delivery(
                        network_id=delivery.network_id,
                        channel=slug,
                        purpose="alert",
                        to_address=address,
                        body=delivery.body,
                        language=delivery.language,
                        expires_at=delivery.expires_at,
                        max_attempts=delivery.max_attempts,
                        alert_id=delivery.alert_id,
                        recipient=recipient,
                        person=person,
                        tier=delivery.tier,
                        sender=sender_for(slug),
                        channel_rank=rank,
                    )
                ],
                ignore_conflicts=True,
            )
            sender = sender_for(slug)
            transaction.on_commit(partial(_enqueue_drains, [sender]))
        return created[0]
    if held_back:
        return None
    # Nothing left to try: mark it, so the sweep does not look at it again.
    Delivery.objects.filter(pk=delivery.pk).update(
        error=f"{delivery.error or ''}"[: 200 - len(LAST_CHANNEL)] + LAST_CHANNEL
    )
    return None


# --- sweeping --------------------------------------------------------------------


def _receipt_transports() -> list[str]:
    return list(pacing.setting("ALERT_RECEIPT_TRANSPORTS", ["twilio_sms", "twilio_voice"]))


def outbox_sweep() -> list[str]:
    """Fail over what failed (a status callback) or never got a receipt; return the
    senders with work due now (the caller drains them)."""
    now = timezone.now()
    receipt_minutes = float(pacing.setting("ALERT_RECEIPT_MINUTES", 10))
    Delivery.objects.filter(
        alert__isnull=False,
        status=S.SENT,
        channel__in=_receipt_transports(),
        sent_at__lt=now - timedelta(minutes=receipt_minutes),
        recipient__status=AlertRecipient.Status.PENDING,
    ).update(status=S.FAILED, error=NO_RECEIPT)
    Delivery.objects.filter(  # abandoned by dead workers once too often
        alert__isnull=False,
        status=S.SENDING,
        claimed_at__lt=now - pacing.claim_lease(),
        attempts__gte=F("max_attempts"),
    ).update(status=S.FAILED, error="abandoned after the last attempt")
    later = Delivery.objects.filter(
        recipient_id=OuterRef("recipient_id"), channel_rank__gt=OuterRef("channel_rank")
    )
    failed = (
        Delivery.objects.filter(
            alert__isnull=False,
            alert__status=Alert.Status.SENDING,
            status=S.FAILED,
            recipient__status=AlertRecipient.Status.PENDING,
        )
        .exclude(error__endswith=LAST_CHANNEL)
        .exclude(Exists(later))
        .select_related("recipient", "person")
    )
    for delivery in failed[:500]:
        failover(delivery)
    now = timezone.now()
    due = Q(status=S.QUEUED, due_at__lte=now) | Q(
        status=S.SENDING, claimed_at__lt=now - pacing.claim_lease()
    )
    return sorted(
        set(
            Delivery.objects.filter(due, alert__isnull=False)
            .exclude(sender="")
            .values_list("sender", flat=True)
            .distinct()
        )
    )


# --- escalation ------------------------------------------------------------------


def escalation_sweep() -> int:
    """Due escalation steps: claimed by conditional UPDATE and run by the dispatch
    engineer's ``amparo.alerts.escalation`` (run at worker start-up and by the sweep)."""
    from . import escalation

    return escalation.escalation_sweep()
