"""How reports arrive: the public form, responders, SMS and hotline intakes, all through
:func:`amparo.reports.services.report_submit`.

Nobody is paged here: a report only reaches the console; verification comes first.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from amparo.accounts.models import Network
from amparo.hotline.models import Intake, Outcome
from amparo.people import antiabuse
from amparo.people.models import Place
from amparo.people.services import place_lookup

from . import flood
from .models import Report, Source
from .photos import PhotoRefused, photo_clean, photo_read, photo_save
from .services import (  # noqa: F401 - incident_reports_ordered is imported from here too
    IncidentTransitionError,
    ReportInput,
    incident_reports_ordered,
    report_submit,
)
from .verification import verification_request

#: the keys of ``Report.details`` (SALUTE + free text) every source fills as it can
DETAIL_KEYS = ("activity", "where", "size", "uniform", "time", "equipment", "text")
MAX_TEXT = 2000


def report_public(
    *,
    network: Network,
    post: antiabuse.Posted,
    data: ReportInput,
    upload: UploadedFile | None,
    flood_on: bool,
) -> tuple[int, Submitted | None]:
    """One valid post of the public form: counted toward a flood (flood.py), the
    network's cap, the per-address limits (stricter without a proof of work or in a
    flood; the address only hashed) and its challenge spent; then the report saved
    with its photo. (seconds to wait, None), (0, None) for a replay, or (0, what was saved)."""
    # On SQLite one write transaction (antiabuse.admission_transaction), unless a photo
    # came: it is cleaned (CPU) once the post is within its limits, outside the lock.
    value = f"{network.pk}\x00{post.address}"
    full = flood.public_cap_wait(network=network)  # reads before the write lock
    limits = (
        []
        if full
        else flood.report_rate_limits(network=network, solved=post.check.solved, flood=flood_on)
    )
    with antiabuse.admission_transaction(with_save=upload is None) as admitting:
        wait = full
        with transaction.atomic(savepoint=False):  # the counts, the challenge: one short one
            flood.flood_count_post(network=network)
            for scope, scope_limits in limits:
                wait = max(wait, antiabuse.rate_hit(scope=scope, value=value, limits=scope_limits))
            if not wait and not antiabuse.challenge_spend(challenge=post.challenge):
                return 0, None  # a replay
        if not wait and upload is None:
            with admitting.save():
                return _saved(network=network, data=data)
    if wait:
        return wait, None
    return _saved(network=network, data=data, photo=photo_prepare(upload))


def _saved(
    *, network: Network, data: ReportInput, photo: Photo | None = None
) -> tuple[int, Submitted | None]:
    """The report and its photo saved in one transaction, or the wait when a flood
    filled the network's cap meanwhile."""
    with transaction.atomic(savepoint=False):
        try:
            return 0, report_with_photo(network=network, source=Source.WEB, data=data, photo=photo)
        except flood.ReportsFull as full:
            return full.wait, None


def details_clean(answers: dict[str, Any]) -> dict[str, str]:
    """Only the known keys, as trimmed text (shown escaped everywhere)."""
    out: dict[str, str] = {}
    for key in DETAIL_KEYS:
        value = answers.get(key)
        if value not in (None, ""):
            out[key] = str(value).strip()[:MAX_TEXT]
    return out


@dataclass
class Submitted:
    report: Report
    photo_error: str = ""  # why a photo was refused (the report is kept)
    photo_saved: bool = False
    # set when the words were added to the source's earlier report (see flood.py): the
    # added part's number, 0 if it was only counted
    part: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def report_part(report: Report, part: int | None) -> dict[str, Any]:
    """What one post added to ``report``: its own answers, or the ``part``-th words a
    later post of the same source added (never another post's words: a shared
    connection's next person sees only their own)."""
    details: dict[str, Any] = report.details if isinstance(report.details, dict) else {}
    if part is None:
        return details
    more = details.get("more") or []
    return more[part - 1] if 0 < part <= len(more) and isinstance(more[part - 1], dict) else {}


@dataclass(frozen=True)
class Photo:
    """A photo sent with a report, cleaned before anything is written (decoding and
    re-encoding is CPU work: never inside the write transaction)."""

    data: bytes = b""  # cleaned (no EXIF), ready to seal
    error: str = ""  # why it was refused


def photo_prepare(upload: UploadedFile | None) -> Photo | None:
    """Read (amparo/lib/uploads.py: in memory, within its caps) and clean a photo."""
    try:
        raw = photo_read(upload)
        if raw is None:
            return None
        return Photo(data=photo_clean(raw))
    except PhotoRefused as exc:
        return Photo(error=exc.message)


def report_with_photo(
    *,
    network: Network,
    source: str,
    data: ReportInput,
    photo: Photo | None = None,
) -> Submitted:
    """Save a report, then its photo if one was sent (``photo_prepare``), in one
    transaction. A refused photo never loses the report: it is saved and the person is
    told the photo was not accepted."""
    with transaction.atomic():
        report = report_submit(network=network, source=source, data=data)
        result = Submitted(report=report, part=report.appended_part)
        if photo is not None and report.appended_part is not None:
            result.photo_error = _(
                "The photo was not kept: many reports came from this connection, so your "
                "words were added to an earlier report."
            )
        elif photo is not None and photo.error:
            result.photo_error = photo.error
        elif photo is not None:
            photo_save(report=report, data=photo.data)
            result.photo_saved = True
    return result


def report_from_intake(intake: Intake) -> Report:
    """A hotline intake with the outcome raid report (or activate) becomes a report."""
    answers = dict(intake.answers or {})
    details = details_clean(answers)
    if answers.get("detained"):
        details["detained"] = str(answers["detained"])[:20]
    place: Place | None = None
    where = details.get("where", "")
    if where:
        place = place_lookup(network=intake.network, text=where) or _place_in_words(
            network=intake.network, text=where
        )
    phone = str(answers.get("callback_number") or "")
    report = report_submit(
        network=intake.network,
        source=Source.HOTLINE,
        data=ReportInput(
            details=details, language=intake.language, place=place, reporter_phone=phone
        ),
        intake=intake,
    )
    if intake.outcome == Outcome.ACTIVATE and report.incident is not None:
        # "activate": the nearest verifiers are asked at once (the timeline says so)
        with suppress(IncidentTransitionError):
            verification_request(incident=report.incident)
    return report


def _place_in_words(*, network: Network, text: str) -> Place | None:
    """A town named anywhere in free text: single words, then pairs and triples."""
    words = [w.strip(".,;:!?¡¿()\"'") for w in text.split()]
    words = [w for w in words if w][:40]
    for size in (3, 2, 1):
        for i in range(len(words) - size + 1):
            found = place_lookup(network=network, text=" ".join(words[i : i + size]))
            if found is not None:
                return found
    return None


place_in_words = _place_in_words
