"""Call services: fetching voicemails from the provider, callbacks, dashboard figures.

A voicemail is downloaded, sealed in ``Call.recording``, then deleted at the provider. A
failed download is never lost: the sweeper tries again up to ``MAX_RECORDING_ATTEMPTS``,
then it is ``failed`` (still at the provider, for someone to fetch by hand).
"""

from __future__ import annotations

import base64
import binascii
import logging
import statistics
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from amparo.accounts.models import Network, User
from amparo.channels.twilio.client import (
    RecordingError,
    recording_delete,
    recording_download,
    twilio_client,
)

from .models import Call, Callback, CallStatus

log = logging.getLogger(__name__)

MAX_RECORDING_ATTEMPTS = 5
DELETE_FAILED = "provider-delete-failed"


def _fail(call_id: int, code: str) -> str:
    Call.objects.filter(pk=call_id, recording_status=Call.Recording.PENDING).update(
        recording_attempts=F("recording_attempts") + 1, recording_error=code[:200]
    )
    Call.objects.filter(
        pk=call_id,
        recording_status=Call.Recording.PENDING,
        recording_attempts__gte=MAX_RECORDING_ATTEMPTS,
    ).update(recording_status=Call.Recording.FAILED)
    status = Call.objects.filter(pk=call_id).values_list("recording_status", flat=True).first()
    log.warning("voicemail fetch for call %s failed (%s): now %s", call_id, code, status)
    return status or ""


def _error_code(exc: Exception) -> str:
    if isinstance(exc, RecordingError):
        return str(exc)[:60]
    code = getattr(exc, "code", None) or getattr(exc, "status", None)
    return f"{type(exc).__name__}{'-' + str(code) if code else ''}"[:60]


def voicemail_fetch(*, call_id: int) -> str:
    """Download, seal, then delete at the provider. Returns the recording status."""
    call = Call.objects.filter(pk=call_id).first()
    if call is None or not call.recording_sid:
        return ""
    if call.recording_status == Call.Recording.STORED:
        if call.recording_error != DELETE_FAILED:
            return call.recording_status
        try:  # stored here, but the provider's copy is still there: delete it again
            recording_delete(twilio_client(), call.recording_sid)
        except Exception as exc:
            if getattr(exc, "status", None) != 404:
                log.warning(
                    "voicemail delete for call %s failed again (%s)", call_id, _error_code(exc)
                )
                return call.recording_status
        Call.objects.filter(pk=call_id).update(recording_error="")
        return call.recording_status
    if call.recording_status != Call.Recording.PENDING:
        return call.recording_status
    try:
        client = twilio_client()
        audio = recording_download(client, call.recording_sid)
    except Exception as exc:
        return _fail(call_id, _error_code(exc))
    with transaction.atomic():
        # claimed by one conditional write: two fetches of one call (the webhook's task
        # and a sweep's) never both store it and delete it twice at the provider
        claimed = Call.objects.filter(pk=call_id, recording_status=Call.Recording.PENDING).update(
            recording_status=Call.Recording.STORED,
            recording_attempts=F("recording_attempts") + 1,
            recording_error="",
        )
        if not claimed:
            status = Call.objects.filter(pk=call_id).values_list("recording_status", flat=True)
            return status.first() or ""
        call.recording = base64.b64encode(audio).decode("ascii")
        call.save(update_fields=["recording"])
    try:
        recording_delete(client, call.recording_sid)
    except Exception as exc:
        if getattr(exc, "status", None) != 404:  # 404: already gone at the provider
            Call.objects.filter(pk=call_id).update(recording_error=DELETE_FAILED)
            log.warning(
                "voicemail for call %s stored; provider delete failed (%s)",
                call_id,
                _error_code(exc),
            )
    return Call.Recording.STORED


def voicemail_pending_ids(*, limit: int = 100) -> list[int]:
    return list(
        Call.objects.filter(
            Q(recording_status=Call.Recording.PENDING)
            | Q(recording_status=Call.Recording.STORED, recording_error=DELETE_FAILED)
        )
        .exclude(recording_sid="")
        .order_by("started_at")
        .values_list("pk", flat=True)[:limit]
    )


def voicemail_audio(*, call: Call) -> bytes:
    if call.recording_status != Call.Recording.STORED or not call.recording:
        return b""
    try:
        return base64.b64decode(call.recording)
    except (binascii.Error, ValueError):
        return b""


def call_callback_done(*, call: Call, user: User) -> bool:
    """Someone called the caller back: the voicemail stops waiting."""
    now = timezone.now()
    changed = Call.objects.filter(pk=call.pk, callback_done_at__isnull=True).update(
        callback_done_at=now, callback_done_by=user
    )
    Callback.objects.filter(call=call, done_at__isnull=True).update(done_at=now, done_by=user)
    if changed:
        call.refresh_from_db(fields=["callback_done_at", "callback_done_by"])
    return bool(changed)


def voicemails_waiting(*, network: Network) -> int:
    return (
        Call.objects.filter(network=network, callback_done_at__isnull=True)
        .exclude(recording_status=Call.Recording.NONE)
        .count()
    )


@dataclass(frozen=True)
class HotlineFigures:
    calls: int
    answered: int
    median_seconds_to_answer: float | None
    voicemails_waiting: int


def hotline_figures(*, network: Network, since: datetime) -> HotlineFigures:
    """Dashboard: calls since ``since``, answered and how fast, and voicemails awaiting callback."""
    calls = Call.objects.filter(network=network, started_at__gte=since)
    waits = [
        (answered - started).total_seconds()
        for started, answered in calls.filter(answered_at__isnull=False).values_list(
            "started_at", "answered_at"
        )
    ]
    answered = calls.filter(Q(answered_at__isnull=False) | Q(status=CallStatus.ANSWERED)).count()
    return HotlineFigures(
        calls=calls.count(),
        answered=answered,
        median_seconds_to_answer=statistics.median(waits) if waits else None,
        voicemails_waiting=voicemails_waiting(network=network),
    )
