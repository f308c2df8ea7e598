"""The outbox: every message Amparo sends is a ``Delivery`` row written here and sent
by the one engine here (DESIGN.md, "One of each"). Apps write rows; they never send.

- ``outbox_write`` (one row) and ``outbox_write_bulk`` (many, e.g. an alert's): saved
  with a purpose, its priority (``settings.OUTBOX_PRIORITIES``) and its sender — the
  pacing key, the transport and the number it sends from; a drain of the sender is
  enqueued once the transaction commits.
- ``claim_next(sender)`` — the sender's next row in (priority, tier, due_at, id)
  order, claimed with a conditional UPDATE and given a *send slot* in ``claimed_at``:
  ``max(now, latest slot of this sender + 1/rate)``. Every worker computes the slot
  from the same rows, so any number of workers on one sender together keep its rate.
  The claim is one short transaction: on SQLite the write lock (``BEGIN IMMEDIATE``)
  serialises claims, on PostgreSQL a transaction-level advisory lock per sender does.
  No row of a later tier (or a later priority) is claimed while another drain's claim of
  an earlier tier is unsent, up to ``TIER_HOLD`` past its slot: drains send in order.
- ``claim_batch(sender, n)`` — the next ``n`` rows in one claim, with consecutive slots:
  a drain of a fast sender claims as many as it may have drains (``drains_for``).
- ``outbox_drain(sender=)`` — claim, sleep to each slot, ``outbox_send``; until
  nothing is due or the time budget is spent.
- ``outbox_send`` — one claimed row: stopped by its purpose's hook (an alert answered)
  or past its expiry → expired; transient error → capped backoff with jitter;
  permanent or out of attempts → failed, and the purpose's hook fails it over to the
  person's next channel (at once while the transport's circuit is open).
- ``outbox_sweep`` — abandoned claims with no attempt left fail; rows with no receipt
  in time or failed by a status callback are failed over; returns the senders with
  work due (``tasks.sweep`` drains them).

After a panic wipe (``keys.panicked``) the drain, its task and the sweep do nothing:
no row is claimed, sent or failed over, since no key may be used.

A purpose's hook (``settings.OUTBOX_HOOKS``: purpose → dotted path of a module) brings
what the channels cannot know: ``stop_reason(delivery)`` ("" to send),
``failover(delivery)`` and ``failover_pending()`` (a filter of the rows still worth
failing over). The channel layer imports no app above it: rows carry ids.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from importlib import import_module
from typing import Any, Protocol, cast

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, DateTimeField, F, Q, Subquery, Value, When
from django.utils import timezone
from huey.contrib.djhuey import HUEY, db_task

from amparo.accounts.models import Network
from amparo.lib.crypto.keys import panicked
from amparo.lib.queue import queue_lock

from .base import TransportError, unreachable_tell
from .models import Delivery
from .registry import UnknownTransport, get_transport

log = logging.getLogger(__name__)

S = Delivery.Status
CIRCUIT_OPEN = "circuit open"
DRAIN_SECONDS = 30.0  # one drain task sends for this long, then makes way
DRAIN_LOCK_SECONDS = 60  # a drain's lock older than this: its worker died
NO_RECEIPT = "no delivery receipt"


class OutboxHook(Protocol):
    def stop_reason(self, delivery: Delivery) -> str: ...

    def failover(self, delivery: Delivery) -> None: ...

    def failover_pending(self) -> Q: ...


def hook_for(purpose: str) -> OutboxHook | None:
    path = settings.OUTBOX_HOOKS.get(purpose)
    return cast(OutboxHook, import_module(path)) if path else None


# --- writing ---------------------------------------------------------------------


def sender_for(channel: str) -> str:
    """The pacing key: the transport, and the number it sends from when known."""
    if channel.startswith("twilio_") and settings.TWILIO_FROM_NUMBER:
        return f"{channel}:{settings.TWILIO_FROM_NUMBER}"[:40]
    return channel


def _prepared(delivery: Delivery) -> Delivery:
    get_transport(delivery.channel)  # an unknown channel fails here, before anything is saved
    delivery.sender = sender_for(delivery.channel)
    delivery.priority = settings.OUTBOX_PRIORITIES.get(
        delivery.purpose, settings.OUTBOX_DEFAULT_PRIORITY
    )
    return delivery


def outbox_write(
    *,
    network: Network,
    channel: str,
    to: str,
    body: str,
    purpose: str,
    language: str = "en",
    due_at: datetime | None = None,
    expires_at: datetime | None = None,
    **links: Any,
) -> Delivery:
    """Save one message to send (``links``: the alert, recipient, person, tier,
    channel_rank or max_attempts it carries); it is sent once the transaction commits."""
    links.setdefault("max_attempts", settings.DELIVERY_MAX_ATTEMPTS)
    delivery = _prepared(
        Delivery(
            network=network,
            channel=channel,
            to_address=to,
            body=body,
            purpose=purpose,
            language=language,
            due_at=due_at or timezone.now(),
            expires_at=expires_at,
            **links,
        )
    )
    delivery.save()
    _drain_on_commit([delivery.sender])
    return delivery


def outbox_write_bulk(deliveries: list[Delivery]) -> None:
    """Save many messages in one transaction (a row that exists already — an alert's
    recipient on a channel — is skipped); their senders are drained once it commits."""
    for delivery in deliveries:
        _prepared(delivery)
    with transaction.atomic():
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True, batch_size=500)
        _drain_on_commit(sorted({d.sender for d in deliveries}))


def _drain_on_commit(senders: Iterable[str]) -> None:
    transaction.on_commit(partial(_drain_now, list(senders)))


def _drain_now(senders: list[str]) -> None:
    for sender in senders:
        outbox_drain_task(sender)


# --- configuration (settings.ALERT_*) -----------------------------------------------


def rate_for(sender: str) -> float:
    slug = sender.split(":", 1)[0]
    rates = settings.ALERT_RATE_PER_SECOND
    if slug in rates:
        return float(rates[slug])
    try:
        return float(get_transport(slug).rate_per_second)
    except UnknownTransport:
        return 1.0


def claim_lease() -> timedelta:
    """A claim older than this (slot included) was abandoned by a dead worker."""
    return timedelta(seconds=float(settings.ALERT_CLAIM_LEASE_SECONDS))


def retry_delay(attempts: int, *, hook: bool = True) -> float:
    """Capped exponential backoff with full jitter (half to all of the step). A message
    with a next channel to fail over to (an alert's) retries fast; one without waits
    longer between tries, so a provider's bad minute does not use up its tries."""
    base = float(
        settings.ALERT_RETRY_BASE_SECONDS if hook else settings.DELIVERY_RETRY_BASE_SECONDS
    )
    step = min(float(settings.ALERT_RETRY_CAP_SECONDS), base * 2 ** max(attempts - 1, 0))
    return step * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not a secret


class CircuitBreaker:
    """K consecutive failures within T seconds open the circuit for a cooldown.

    Kept in each worker process's memory: a breaker is about not waiting on a dead
    provider, and each process learns that within K sends."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.failures: dict[str, list[float]] = {}
        self.open_until: dict[str, float] = {}

    def is_open(self, slug: str) -> bool:
        return self.remaining(slug) > 0

    def remaining(self, slug: str) -> float:
        """Seconds until the circuit of ``slug`` closes again (0 when it is closed)."""
        with self.lock:
            return max(0.0, self.open_until.get(slug, 0.0) - time.monotonic())

    def success(self, slug: str) -> None:
        with self.lock:
            self.failures.pop(slug, None)

    def failure(self, slug: str) -> None:
        conf = settings.ALERT_CIRCUIT
        now = time.monotonic()
        with self.lock:
            window = float(conf["window_seconds"])
            recent = [t for t in self.failures.get(slug, []) if t > now - window] + [now]
            self.failures[slug] = recent
            if len(recent) >= int(conf["failures"]):
                self.open_until[slug] = now + float(conf["cooldown_seconds"])
                self.failures[slug] = []
                log.warning("circuit open for transport %s", slug)

    def reset(self) -> None:
        with self.lock:
            self.failures.clear()
            self.open_until.clear()


BREAKER = CircuitBreaker()


# --- claiming ----------------------------------------------------------------------


def _claimable(sender: str, now: datetime) -> Q:
    due = Q(status=S.QUEUED, due_at__lte=now)
    abandoned = Q(
        status=S.SENDING, claimed_at__lt=now - claim_lease(), attempts__lt=F("max_attempts")
    )
    return Q(sender=sender) & (due | abandoned)


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    slot: datetime


def claim_next(sender: str) -> Claim | None:
    """Claim the sender's next row and give it a send slot, or None."""
    claims = claim_batch(sender, 1)
    return claims[0] if claims else None


TIER_HOLD = timedelta(seconds=2)


def claim_batch(sender: str, limit: int) -> list[Claim]:
    """Claim the sender's next ``limit`` rows at once, with consecutive send slots: one
    lock and one transaction for all of them (a fast sender's drains take turns on the
    lock ``limit`` times less often)."""
    interval = timedelta(seconds=1.0 / max(rate_for(sender), 0.001))
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                key = zlib.crc32(f"amparo-outbox:{sender}".encode()) - 2**31
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
        now = timezone.now()
        latest = Delivery.objects.filter(  # the sender's latest slot: its bucket
            sender=sender, claimed_at__gte=now - timedelta(seconds=60)
        ).order_by("-claimed_at")
        # Another drain's claim not sent yet goes first: a drain descheduled past its
        # slot sends no tier after the next one of its priority. Only for TIER_HOLD past
        # its slot: a drain that died (its lease runs a minute) holds no one up longer.
        first_out = (
            Delivery.objects.filter(
                sender=sender, status=S.SENDING, claimed_at__gte=now - TIER_HOLD
            )
            .order_by("priority", "tier")
            .values_list("priority", "tier")
            .first()
        )
        todo = Delivery.objects.filter(_claimable(sender, now))
        if first_out:  # nor anything after it: a bulk text never overtakes a held alert
            priority, tier = first_out
            todo = todo.exclude(Q(priority__gt=priority) | Q(priority=priority, tier__gt=tier))
        rows = list(
            todo.order_by("priority", "tier", "due_at", "id")
            .annotate(last=Subquery(latest.values("claimed_at")[:1]))
            .values_list("pk", "last")[: max(1, limit)]
        )
        if not rows:
            return []
        pks, last = [pk for pk, _ in rows], rows[0][1]
        first = max(now, last + interval) if last else now
        slots = [Claim(pk, first + interval * i) for i, pk in enumerate(pks)]
        slot = Case(
            *[When(pk=c.delivery_id, then=Value(c.slot)) for c in slots],
            output_field=DateTimeField(),
        )
        updated = Delivery.objects.filter(_claimable(sender, now), pk__in=pks).update(
            status=S.SENDING, claimed_at=slot, attempts=F("attempts") + 1
        )
        if updated != len(pks):  # never under the lock; all or nothing otherwise
            transaction.set_rollback(True)
            return []
        return slots


def work_due(*, live: bool = False) -> bool:
    """Whether any message (``live``: any live one, such as an alert; OUTBOX_PRIORITIES
    0) is due to be sent now, for bulk background work such as an import to step aside."""
    due = Delivery.objects.filter(status=S.QUEUED, due_at__lte=timezone.now())
    return (due.filter(priority=0) if live else due).exists()


def next_due(sender: str) -> datetime | None:
    """When the sender next has something to claim: a queued row falling due, or a
    claim that will count as abandoned (its worker may have died) with tries left."""
    rows = Delivery.objects.filter(sender=sender)
    queued = rows.filter(status=S.QUEUED).order_by("due_at").values_list("due_at", flat=True)
    claimed = (
        rows.filter(status=S.SENDING, claimed_at__isnull=False, attempts__lt=F("max_attempts"))
        .order_by("claimed_at")
        .values_list("claimed_at", flat=True)
        .first()
    )
    times = [t for t in (queued.first(), claimed + claim_lease() if claimed else None) if t]
    return min(times) if times else None


# --- sending -------------------------------------------------------------------------


def outbox_drain(*, sender: str, max_seconds: float = DRAIN_SECONDS) -> int:
    """Send the sender's due rows, paced and in order; returns how many were tried.
    After a panic wipe nothing is sent (nor claimed): the rows stay as they are; a
    drain already running stops at its next row."""
    started = time.monotonic()
    tried = 0
    while time.monotonic() - started < max_seconds:
        if panicked():
            break
        claims = claim_batch(sender, drains_for(sender))
        late = 1.0 / max(rate_for(sender), 0.001)  # one slot behind
        if not claims:
            eta = next_due(sender)  # due, yet waiting for an earlier tier's last sends
            if eta is None or eta > timezone.now():
                break
            time.sleep(late)
            continue
        for i, claim in enumerate(claims):
            if panicked():
                return tried
            wait = (claim.slot - timezone.now()).total_seconds()
            if i and -wait > late:  # fallen behind its slots: the rest go back to the
                claims_release(claims[i:])  # queue, not in a burst
                break
            if wait > 0:
                time.sleep(wait)
            outbox_send(delivery_id=claim.delivery_id)
            tried += 1
    return tried


def claims_release(claims: list[Claim]) -> int:
    """Give claimed rows not yet sent back to the queue, their try not spent: only
    while each is still this claim (its slot), not one another drain has taken since."""
    mine = Q(pk__in=[])
    for claim in claims:
        mine |= Q(pk=claim.delivery_id, claimed_at=claim.slot)
    return Delivery.objects.filter(mine, status=S.SENDING).update(
        status=S.QUEUED, claimed_at=None, attempts=F("attempts") - 1
    )


def _related() -> list[str]:
    """What the hooks read before a send (their ``RELATED``), fetched with the row."""
    paths = set(settings.OUTBOX_HOOKS.values())
    return sorted({f for p in paths for f in getattr(import_module(p), "RELATED", ())})


def outbox_send(*, delivery_id: int) -> str:
    """Send one claimed row and record what happened; returns its status."""
    delivery = Delivery.objects.select_related(*_related()).get(pk=delivery_id)
    if delivery.status != S.SENDING:
        return delivery.status
    hook = hook_for(delivery.purpose)
    stop = hook.stop_reason(delivery) if hook else ""
    if stop or (delivery.expires_at and delivery.expires_at <= timezone.now()):
        Delivery.objects.filter(pk=delivery.pk).update(status=S.EXPIRED, error=stop or "expired")
        return S.EXPIRED
    if hook and BREAKER.is_open(delivery.channel):
        # The provider is down, not this message: it waits (its try not spent) for the
        # circuit to close, and the person's next channel starts now (the hook's failover).
        hook.failover(delivery)
        due = timezone.now() + timedelta(seconds=BREAKER.remaining(delivery.channel))
        Delivery.objects.filter(pk=delivery.pk, status=S.SENDING).update(
            status=S.QUEUED,
            claimed_at=None,
            error=CIRCUIT_OPEN,
            due_at=due,
            attempts=F("attempts") - 1,
        )
        return S.QUEUED
    try:
        ref = get_transport(delivery.channel).send(delivery)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded, never lost
        if isinstance(exc, TransportError):
            message, permanent = exc.message, exc.permanent
        else:  # a bug or an unwrapped library error: transient, and only its type is kept
            message, permanent = f"unexpected {type(exc).__name__}", False
        if not permanent:  # a refused number says nothing about the provider
            BREAKER.failure(delivery.channel)
        log.warning(
            "delivery %s attempt %s failed (%s): %s",
            delivery.pk,
            delivery.attempts,
            "permanent" if permanent else "transient",
            message,
        )
        if permanent or delivery.attempts >= delivery.max_attempts:
            _fail(delivery, message, hook)
            if isinstance(exc, TransportError) and exc.unreachable:
                unreachable_tell(delivery, exc.unreachable)
            return S.FAILED
        due = timezone.now() + timedelta(seconds=retry_delay(delivery.attempts, hook=bool(hook)))
        Delivery.objects.filter(pk=delivery.pk, status=S.SENDING).update(
            status=S.QUEUED, claimed_at=None, error=message[:200], due_at=due
        )  # the drain task comes back for it (next_due)
        return S.QUEUED
    BREAKER.success(delivery.channel)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=S.SENT, provider_ref=ref.id[:100], sent_at=timezone.now(), error=""
    )
    return S.SENT


def _fail(delivery: Delivery, message: str, hook: OutboxHook | None) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(status=S.FAILED, error=message[:200])
    delivery.status, delivery.error = S.FAILED, message[:200]
    if hook is not None:
        hook.failover(delivery)


def drains_for(sender: str) -> int:
    """How many drains may send for ``sender`` at once: as many as its rate needs (one
    send takes about ``OUTBOX_SEND_SECONDS``), at most ``OUTBOX_DRAINS_PER_SENDER``."""
    needed = math.ceil(rate_for(sender) * float(settings.OUTBOX_SEND_SECONDS))
    return max(1, min(int(settings.OUTBOX_DRAINS_PER_SENDER), needed))


def _drain_key(sender: str, slot: int) -> str:
    return f"outbox-drain:{sender}" + (f":{slot}" if slot else "")


def drain_slot(sender: str) -> tuple[int, str] | None:
    """The first free drain slot of ``sender`` (its number and lock key), taken; None
    when as many drains as it may have are already sending."""
    for slot in range(drains_for(sender)):
        key = _drain_key(sender, slot)
        if queue_lock(HUEY, key, DRAIN_LOCK_SECONDS):  # an older one: its worker died
            return slot, key
    return None


def transports_warm() -> None:
    """A worker starting: each routed transport loads its client library now, not on
    an alert's first text (seconds on a loaded machine)."""
    for slug in set(settings.CHANNEL_ROUTES.values()) | set(settings.ALERT_RATE_PER_SECOND):
        try:
            get_transport(str(slug)).warm()
        except UnknownTransport:
            continue
        except Exception:  # noqa: BLE001 - a warm-up that fails costs only time
            log.warning("transport %s could not warm up", slug, exc_info=True)
    log.info("outbox ready: transports warm")


def drain_locks_clear() -> None:
    """A worker starting: the locks of senders with work left may be a dead worker's."""
    senders = Delivery.objects.filter(status__in=[S.QUEUED, S.SENDING]).values_list("sender")
    for (sender,) in set(senders.distinct()):
        for slot in range(max(1, int(settings.OUTBOX_DRAINS_PER_SENDER))):
            HUEY.delete(_drain_key(sender, slot))


@db_task()
def outbox_drain_task(sender: str) -> int:
    """At most :func:`drains_for` drains per sender at a time: one more (a write, the
    sweep) leaves at once, since those draining take whatever is due, and look again
    when they are done. A drain that takes a slot with another free asks for a sibling,
    so a fast sender's backlog is sent by as many drains as its rate needs."""
    if panicked():  # nothing is sent, and the task does not come back for it
        log.warning("panic wipe: the outbox sends nothing (%s)", sender)
        return 0
    taken = drain_slot(sender)
    if taken is None:
        return 0
    slot, key = taken
    if slot + 1 < drains_for(sender):
        outbox_drain_task(sender)
    try:
        tried = outbox_drain(sender=sender)
    finally:
        HUEY.delete(key)
    eta = next_due(sender)
    if eta is not None and eta <= timezone.now():  # out of time with work left: let
        outbox_drain_task(sender)  # other tasks in, then go on
    elif eta is not None:  # come back when a retry falls due or a claim is abandoned
        outbox_drain_task.schedule(args=(sender,), eta=eta + timedelta(milliseconds=50))
    return tried


# --- sweeping ----------------------------------------------------------------------


def outbox_sweep() -> list[str]:
    """Fail what was abandoned with no attempt left; fail over what failed (a status
    callback) or never got a receipt; return the senders with work due now."""
    if panicked():  # after a panic wipe nothing is failed over or sent
        return []
    now = timezone.now()
    Delivery.objects.filter(
        status=S.SENDING, claimed_at__lt=now - claim_lease(), attempts__gte=F("max_attempts")
    ).update(status=S.FAILED, error="abandoned after the last attempt")
    hooks: dict[str, list[str]] = {}
    for purpose, path in settings.OUTBOX_HOOKS.items():
        hooks.setdefault(path, []).append(purpose)
    for path, purposes in hooks.items():
        hook = cast(OutboxHook, import_module(path))
        pending = Delivery.objects.filter(hook.failover_pending(), purpose__in=purposes)
        pending.filter(
            status=S.SENT,
            channel__in=settings.ALERT_RECEIPT_TRANSPORTS,
            sent_at__lt=now - timedelta(minutes=float(settings.ALERT_RECEIPT_MINUTES)),
        ).update(status=S.FAILED, error=NO_RECEIPT)
        for delivery in pending.filter(status=S.FAILED).order_by("-id")[:500]:
            hook.failover(delivery)
    now = timezone.now()
    due = Q(status=S.QUEUED, due_at__lte=now) | Q(
        status=S.SENDING, claimed_at__lt=now - claim_lease()
    )
    return sorted(set(Delivery.objects.filter(due).values_list("sender", flat=True).distinct()))
