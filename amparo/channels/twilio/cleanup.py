"""Provider minimisation: delete each text and call at Twilio once it is final.

Twilio keeps bodies, numbers and times until deleted; Amparo keeps its own sealed copy and
the provider id, so Twilio's copy serves no purpose once final: a sent text at its final
status callback (or, never confirmed, once its validity is long over:
:func:`stale_sent_schedule`); a received text once handed to the inbound handlers; a hotline
call (with its legs, which hold the caller's number too) or alert call-out when it ended
(or found by :func:`stale_calls_schedule`).

A call is deleted only when no recording can be lost: while a voicemail is waiting, failed
to fetch, or not yet deleted at Twilio, or Twilio still lists a recording, the deletion is
*held* (``settings.TWILIO_CALL_HOLD_HOOK``) and tried again later.

Twilio refuses to delete what it is still processing (error 20009), so each deletion is a
``ProviderDeletion`` row due a minute later, run by :func:`provider_delete` and found again
by :func:`provider_deletion_sweep`. A failure retries with a growing delay (at most six
hours), never given up; a 404 means already gone: done.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from huey.contrib.djhuey import db_task

from amparo.channels.models import Delivery, ProviderDeletion

from .client import TwilioNotConfigured, twilio_client

log = logging.getLogger(__name__)

CHANNEL = "twilio_sms"
#: the ``channel`` of call rows: hotline calls and alert call-outs alike
CALL_CHANNEL = "twilio_voice"
#: Twilio: "wait at least 1 minute" after a message is final before deleting it.
FIRST_DELAY = timedelta(seconds=70)
MAX_DELAY = timedelta(hours=6)
STALE_CLAIM = timedelta(minutes=5)
#: Deleted rows (an id and a time, nothing else) are kept this long, then dropped.
KEEP_DONE = timedelta(days=30)
#: A message still "sent" (a call without an end) this long after it was sent (began)
#: will get no final status.
SENT_GIVES_NO_ANSWER_AFTER = timedelta(hours=6)
#: The stale sweeps look this far back only: older done rows are forgotten (KEEP_DONE),
#: and an unbounded look would schedule the same record again every KEEP_DONE.
STALE_LOOKS_BACK = timedelta(days=7)
#: The final-status sweep looks this far back (by send time) for a lost schedule_task.
FINAL_LOOKS_BACK = timedelta(days=1)
#: A call whose voicemail is waiting to be fetched is looked at again after this long.
HOLD_DELAY = timedelta(minutes=5)
#: The most child calls (legs) of one hotline call listed at Twilio.
MAX_LEGS = 100


def schedule(
    *,
    provider_ref: str,
    direction: str,
    network_id: int | None = None,
    channel: str = CHANNEL,
    kind: str = ProviderDeletion.Kind.MESSAGE,
) -> ProviderDeletion | None:
    """Record that Twilio's copy of ``provider_ref`` must go (idempotent), run after FIRST_DELAY."""
    if not provider_ref:
        return None
    existing = ProviderDeletion.objects.filter(channel=channel, provider_ref=provider_ref).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            row = ProviderDeletion.objects.create(
                network_id=network_id,
                channel=channel,
                kind=kind,
                provider_ref=provider_ref[:100],
                direction=direction,
                due_at=timezone.now() + FIRST_DELAY,
            )
    except IntegrityError:
        return ProviderDeletion.objects.filter(channel=channel, provider_ref=provider_ref).first()
    row_id = row.pk
    transaction.on_commit(lambda: _enqueue_later(row_id))
    return row


@db_task()
def schedule_task(provider_ref: str, direction: str, network_id: int | None) -> bool:
    """``schedule`` in a worker (a status callback writes only its Delivery)."""
    return (
        schedule(provider_ref=provider_ref, direction=direction, network_id=network_id) is not None
    )


def schedule_call(
    *, call_sid: str, direction: str, network_id: int | None = None
) -> ProviderDeletion | None:
    """A call that ended: its record at Twilio must go (see the module docstring)."""
    return schedule(
        provider_ref=call_sid,
        direction=direction,
        network_id=network_id,
        channel=CALL_CHANNEL,
        kind=ProviderDeletion.Kind.CALL,
    )


def _enqueue_later(row_id: int) -> None:
    provider_delete.schedule((row_id,), delay=int(FIRST_DELAY.total_seconds()) + 1)


def _retry_delay(attempts: int) -> timedelta:
    return min(MAX_DELAY, FIRST_DELAY * 2 ** max(0, attempts - 1))


def _error_code(exc: Exception) -> str:
    """A short code, safe to store: the kind, Twilio's error code, the HTTP status."""
    kind = getattr(exc, "kind", None) or type(exc).__name__
    parts = (kind, getattr(exc, "code", None), getattr(exc, "status", None))
    return " ".join(str(part) for part in parts if part)[:200]


def run(*, deletion_id: int, now: datetime | None = None) -> str:
    """Try one deletion: "deleted", "retry", "held" (a recording not safe yet) or ""."""
    now = now or timezone.now()
    claimable = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - STALE_CLAIM)
    claimed = ProviderDeletion.objects.filter(
        claimable, pk=deletion_id, deleted_at__isnull=True, due_at__lte=now
    ).update(claimed_at=now)
    if claimed != 1:
        return ""
    row = ProviderDeletion.objects.get(pk=deletion_id)
    attempts = row.attempts + 1
    try:
        client = twilio_client()
        if row.kind == ProviderDeletion.Kind.CALL:
            held, delay = _call_hold(client, row)
            if held:
                return _hold(row, now, held, delay)
            if row.direction == ProviderDeletion.Direction.INBOUND:
                _legs_schedule(client, row)
    except Exception as exc:  # noqa: BLE001 - every failure is retried later, never lost
        return _retry(row, attempts, now, exc)
    try:
        if row.kind == ProviderDeletion.Kind.CALL:
            client.calls(row.provider_ref).delete()
        else:
            client.messages(row.provider_ref).delete()
    except Exception as exc:  # noqa: BLE001 - every failure is retried later, never lost
        if getattr(exc, "status", None) == 404:  # already gone at Twilio
            return _done(row, attempts, now, note="already gone")
        return _retry(row, attempts, now, exc)
    return _done(row, attempts, now)


def _retry(row: ProviderDeletion, attempts: int, now: datetime, exc: Exception) -> str:
    error = "not configured" if isinstance(exc, TwilioNotConfigured) else _error_code(exc)
    ProviderDeletion.objects.filter(pk=row.pk).update(
        attempts=attempts, claimed_at=None, due_at=now + _retry_delay(attempts), error=error[:200]
    )
    log.warning(
        "provider deletion %s (%s %s) attempt %s failed: %s",
        row.pk,
        row.kind,
        row.direction,
        attempts,
        error,
    )
    return "retry"


def _hold(row: ProviderDeletion, now: datetime, reason: str, delay: timedelta) -> str:
    """Not yet, and not a failure: ``attempts`` counts calls to Twilio's DELETE only."""
    ProviderDeletion.objects.filter(pk=row.pk).update(
        claimed_at=None, due_at=now + delay, error=reason[:200]
    )
    return "held"


def _call_hold(client: Any, row: ProviderDeletion) -> tuple[str, timedelta]:
    """Why the call may not be deleted yet ("" when it may), and when to look again: the
    hotline's hook, then any recording Twilio still lists (its callback can come late)."""
    held, delay = import_string(settings.TWILIO_CALL_HOLD_HOOK)(call_sid=row.provider_ref)
    if held:
        return held, delay
    if client.recordings.list(call_sid=row.provider_ref, limit=1):
        return "a recording of the call is still at the provider", HOLD_DELAY
    return "", HOLD_DELAY


def _legs_schedule(client: Any, row: ProviderDeletion) -> int:
    """The hotline call's legs (the responders rung) are calls of their own at Twilio."""
    legs = client.calls.list(parent_call_sid=row.provider_ref, limit=MAX_LEGS)
    for leg in legs:
        if leg.sid and leg.sid != row.provider_ref:
            schedule_call(
                call_sid=str(leg.sid),
                direction=ProviderDeletion.Direction.OUTBOUND,
                network_id=row.network_id,
            )
    return len(legs)


def _done(row: ProviderDeletion, attempts: int, now: datetime, note: str = "") -> str:
    ProviderDeletion.objects.filter(pk=row.pk).update(
        attempts=attempts, claimed_at=None, deleted_at=now, error=note
    )
    return "deleted"


def _unscheduled(channel: str, limit: int, **filters: Any) -> list[tuple[str, int | None]]:
    """(provider ref, network) of the channel's deliveries matching ``filters``, not scheduled."""
    known = ProviderDeletion.objects.filter(channel=channel, provider_ref=OuterRef("provider_ref"))
    return list(
        Delivery.objects.filter(channel=channel, **filters)
        .exclude(provider_ref="")
        .filter(~Exists(known))
        .values_list("provider_ref", "network_id")[:limit]
    )


def stale_sent_schedule(*, now: datetime | None = None, limit: int = 500) -> int:
    """Schedule the deletion of texts still "sent" long after their validity ended."""
    now = now or timezone.now()
    stale = _unscheduled(
        CHANNEL,
        limit,
        status=Delivery.Status.SENT,
        sent_at__lt=now - SENT_GIVES_NO_ANSWER_AFTER,
        sent_at__gte=now - STALE_LOOKS_BACK,
    )
    return _create_due(
        stale, channel=CHANNEL, direction=ProviderDeletion.Direction.OUTBOUND, now=now
    )


def final_sent_schedule(*, now: datetime | None = None, limit: int = 500) -> int:
    """Schedule the deletion of final texts whose ``schedule_task`` was lost (FINAL_LOOKS_BACK)."""
    now = now or timezone.now()
    final = [Delivery.Status.DELIVERED, Delivery.Status.FAILED]
    lost = _unscheduled(CHANNEL, limit, status__in=final, sent_at__gte=now - FINAL_LOOKS_BACK)
    # the final status may have come just now
    out = ProviderDeletion.Direction.OUTBOUND
    return _create_due(lost, channel=CHANNEL, direction=out, now=now, delay=FIRST_DELAY)


def stale_calls_schedule(*, now: datetime | None = None, limit: int = 500) -> int:
    """Schedule the deletion of calls whose end was never reported: alert call-outs
    placed, and hotline calls begun, more than SENT_GIVES_NO_ANSWER_AFTER ago (a call
    still going answers 20009 and is tried again; a voicemail still holds it)."""
    now = now or timezone.now()
    since, until = now - STALE_LOOKS_BACK, now - SENT_GIVES_NO_ANSWER_AFTER
    callouts = _unscheduled(CALL_CHANNEL, limit, sent_at__lt=until, sent_at__gte=since)
    hotline = import_string(settings.TWILIO_STALE_CALLS_HOOK)(since=since, until=until, limit=limit)
    Direction = ProviderDeletion.Direction
    return _create_due(
        callouts, channel=CALL_CHANNEL, direction=Direction.OUTBOUND, now=now
    ) + _create_due(hotline, channel=CALL_CHANNEL, direction=Direction.INBOUND, now=now)


def _create_due(
    refs: list[tuple[str, int | None]],
    *,
    channel: str,
    direction: str,
    now: datetime,
    delay: timedelta = timedelta(0),
) -> int:
    kind = ProviderDeletion.Kind.CALL if channel == CALL_CHANNEL else ProviderDeletion.Kind.MESSAGE
    rows = [
        ProviderDeletion(
            network_id=network_id,
            channel=channel,
            kind=kind,
            provider_ref=ref[:100],
            direction=direction,
            due_at=now + delay,
        )
        for ref, network_id in refs
    ]
    ProviderDeletion.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def due_ids(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Rows due now (or claimed by a worker that died), oldest first."""
    now = now or timezone.now()
    claimable = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - STALE_CLAIM)
    return list(
        ProviderDeletion.objects.filter(claimable, deleted_at__isnull=True, due_at__lte=now)
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )


def forget_done(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    deleted, _ = ProviderDeletion.objects.filter(deleted_at__lt=now - KEEP_DONE).delete()
    return deleted


@db_task()
def provider_delete(deletion_id: int) -> str:
    return run(deletion_id=deletion_id)


def provider_deletion_sweep() -> int:
    """Core sweeper: schedule stale texts and calls, enqueue what is due, drop old done rows."""
    stale_sent_schedule()
    final_sent_schedule()
    stale_calls_schedule()
    forget_done()
    ids = due_ids()
    for deletion_id in ids:
        provider_delete(deletion_id)
    return len(ids)
