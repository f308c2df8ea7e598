"""A flood of reports from many addresses must not bury the genuine one (issue 13.3).

Four defences, each a setting in ``settings.py``:

* **Known reporters** (:func:`reporter_known`): a member texting from their own number,
  the hotline, a signed-in responder, or a number whose earlier report a verifier
  confirmed (:class:`~amparo.reports.models.KnownReporter`, a keyed hash only, kept
  ``REPORTER_TRUST_DAYS``). Their reports are never folded away or capped.
* **A flood raises the cost** (:func:`flood_active`): more than
  ``REPORT_FLOOD_THRESHOLD`` posts of a network's public form in a window, and the
  form's proof of work asks ``REPORT_FLOOD_POW_EXTRA_BITS`` more bits and the
  stricter ``REPORT_FLOOD_*RATE_LIMITS`` apply, until a whole window has passed quietly.
* **One source, few rows** (:func:`source_tag`, ``REPORT_SOURCE_ROWS``): past its
  limit, a stranger's reports are added to its last report (bounded text,
  :func:`report_append`) instead of new rows. A known *texting number* has a larger
  limit (``REPORT_KNOWN_SOURCE_ROWS``, issue 15.6: a stolen or spoofed member's phone
  cannot fill the console), and any number gets at most ``REPORT_TEXT_REPLIES``
  answers per window (:func:`text_reply_due`): fifty texts, one reply.
* **A cap per network** (:func:`public_cap_wait`, ``REPORT_PUBLIC_CAP``): at most so
  many stored reports from strangers per window; past it a new stranger is told to
  call the hotline or text the keyword.

The bound: per network and ``REPORT_PUBLIC_CAP`` window, at most ``REPORT_PUBLIC_CAP``
report rows from strangers (each with at most one new incident and two timeline
rows), each holding at most ``REPORT_APPEND_MAX_CHARS`` of added text.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from amparo.accounts.models import Network
from amparo.lib.crypto.blind import blind_index
from amparo.people import antiabuse
from amparo.people.identity import text_sender
from amparo.people.models import Person

from .models import Incident, KnownReporter, Report, Source

#: Sources a stranger can use; the hotline and responders are people of the network.
PUBLIC_SOURCES = (Source.WEB, Source.SMS)
#: Statuses of a person whose number counts as a member's.
MEMBER_STATUSES = ("confirmed", "oriented", "trained", "active")
#: Each added report keeps at most this much of each of its answers.
APPEND_FIELD_CHARS = 500
FLOOD_SCOPE = "report-flood"
REPLY_SCOPE = "report-text-reply"


# --- a flood ---------------------------------------------------------------------------


def flood_count_post(*, network: Network) -> None:
    """Count one post of the network's public report form (the flood's measure)."""
    antiabuse.flood_count(
        scope=FLOOD_SCOPE, value=str(network.pk), threshold=settings.REPORT_FLOOD_THRESHOLD
    )


def flood_active(*, network: Network, now: datetime | None = None) -> bool:
    """Whether the public form of ``network`` had more than the threshold's posts in this
    window or the one before."""
    return antiabuse.flood_seen(
        scope=FLOOD_SCOPE, value=str(network.pk), threshold=settings.REPORT_FLOOD_THRESHOLD, now=now
    )


def report_pow_bits(*, network: Network, flood: bool | None = None) -> int:
    """The proof of work the report form asks for now (more during a flood; ``flood``:
    :func:`flood_active` when the caller read it already)."""
    flood = flood_active(network=network) if flood is None else flood
    extra = settings.REPORT_FLOOD_POW_EXTRA_BITS if flood else 0
    return int(settings.SIGNUP_POW_BITS) + int(extra)


def report_rate_limits(
    *, network: Network, solved: bool, flood: bool | None = None
) -> list[tuple[str, Any]]:
    """(scope, limits) for one post of the form: stricter while a flood lasts (``flood``
    as for :func:`report_pow_bits`)."""
    flood = flood_active(network=network) if flood is None else flood
    limits = [
        (
            "report-address",
            settings.REPORT_FLOOD_RATE_LIMITS if flood else settings.REPORT_RATE_LIMITS,
        )
    ]
    if not solved:
        nojs = settings.REPORT_FLOOD_NOJS_RATE_LIMITS if flood else settings.REPORT_NOJS_RATE_LIMITS
        limits.append(("report-nojs", nojs))
    return limits


# --- who is known ----------------------------------------------------------------------


def _trust_hash(*, network: Network, phone: str) -> str:
    return blind_index("reporter-true", f"{network.pk}\x00{phone.strip()}")


def member_of_number(*, network: Network, phone: str) -> Person | None:
    """The confirmed member whose number this is, if any (texts only: a number typed in
    the public form proves nothing)."""
    for person in text_sender(network=network, address=phone).people:
        if person.status in MEMBER_STATUSES:
            return person
    return None


def reporter_known(*, network: Network, source: str, data: Any) -> bool:
    """A report from someone the network knows (see the module docstring). The number
    of a public form is typed by anyone, so only a text's own number can be known."""
    if source in (Source.HOTLINE, Source.RESPONDER) or data.reporter_user is not None:
        return True
    person = data.reporter_person
    if person is not None and person.status in MEMBER_STATUSES:
        return True
    if source == Source.SMS and data.reporter_phone:
        since = timezone.now() - timedelta(days=settings.REPORTER_TRUST_DAYS)
        return KnownReporter.objects.filter(
            network=network,
            key_hash=_trust_hash(network=network, phone=data.reporter_phone),
            last_true_at__gte=since,
        ).exists()
    return False


def known_reporters_record(*, incident: Incident) -> int:
    """A verifier confirmed ``incident``: the numbers that reported it (not low-trust
    posts) reported truly. Kept as keyed hashes only; returns how many."""
    now = timezone.now()
    phones = {
        r.reporter_phone
        for r in Report.objects.filter(incident=incident, low_trust=False).exclude(
            reporter_index=None
        )
        if r.reporter_phone
    }
    for phone in phones:
        key = _trust_hash(network=incident.network, phone=phone)
        rows = KnownReporter.objects.filter(network=incident.network, key_hash=key)
        if not rows.update(last_true_at=now):
            try:
                with transaction.atomic():
                    KnownReporter.objects.create(
                        network=incident.network, key_hash=key, first_true_at=now, last_true_at=now
                    )
            except IntegrityError:
                rows.update(last_true_at=now)
    return len(phones)


# --- bounded storage -------------------------------------------------------------------


def source_tag(*, network: Network, value: str, now: datetime) -> str:
    """A keyed hash of one source (client address or texting number) in the current
    ``REPORT_SOURCE_ROWS`` window: equal within the window, unrelated across windows."""
    seconds = settings.REPORT_SOURCE_ROWS[1]
    start = int(now.timestamp()) // seconds * seconds
    return blind_index("report-source", f"{network.pk}\x00{start}\x00{value}")


def source_last_over(*, tag: str, limit: int | None = None) -> Report | None:
    """The source's last report if it already stored its limit of rows this window
    (``REPORT_SOURCE_ROWS``, or ``limit``: a known number's)."""
    limit = limit or settings.REPORT_SOURCE_ROWS[0]
    # the limit-th newest id only (index entries), never the rows themselves; written
    # out as every public post asks inside its write transaction (see public_cap_wait)
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT id FROM "{Report._meta.db_table}" WHERE source_tag = %s '  # noqa: S608 - the model's table, values bound
            "ORDER BY id DESC LIMIT 1 OFFSET %s",
            [tag, limit - 1],
        )
        over = cursor.fetchone() is not None
    return source_last(tag=tag) if over else None


def source_last(*, tag: str) -> Report | None:
    return Report.objects.filter(source_tag=tag).order_by("-pk").first()


def text_reply_due(*, network: Network, number: str) -> bool:
    """Whether a REPORT text from ``number`` may be answered: at most
    ``REPORT_TEXT_REPLIES`` answers per window (counted under a keyed hash of the number,
    :func:`amparo.people.antiabuse.rate_hit`), so fifty texts get one reply, not fifty."""
    count, seconds = settings.REPORT_TEXT_REPLIES
    return not antiabuse.rate_hit(
        scope=REPLY_SCOPE, value=f"{network.pk}\x00{number}", limits=[(count, seconds)]
    )


def public_cap_wait(*, network: Network, now: datetime | None = None) -> int:
    """0 while the network may store another report from a stranger, else the seconds
    until its oldest such report of the window leaves it."""
    now = now or timezone.now()
    cap, seconds = settings.REPORT_PUBLIC_CAP
    since = now - timedelta(seconds=seconds)
    # Written out: every public post asks twice, once inside its write transaction,
    # where Django compiling it cost ~0.25 ms of CPU and running it ~0.03 (issue 16).
    stored = Report.objects.raw(
        f'SELECT id, received_at FROM "{Report._meta.db_table}" WHERE network_id = %s '  # noqa: S608 - the model's table, values bound
        f"AND NOT known AND source IN ({', '.join(['%s'] * len(PUBLIC_SOURCES))}) "
        "AND received_at >= %s "
        "ORDER BY received_at DESC LIMIT 1 OFFSET %s",
        [
            network.pk,
            *(source.value for source in PUBLIC_SOURCES),
            connection.ops.adapt_datetimefield_value(since),
            cap - 1,
        ],
    )
    nth = next((report.received_at for report in stored), None)
    if nth is None:
        return 0
    # the window frees a place when the cap-th newest report leaves it
    return max(1, int((nth - since).total_seconds()) + 1)


def report_append(*, report: Report, details: dict[str, Any], now: datetime) -> int:
    """Add a later report of the same source to ``report`` (its answers, each cut to
    ``APPEND_FIELD_CHARS``) while its added text stays under ``REPORT_APPEND_MAX_CHARS``;
    beyond that it is only counted. Returns the added part's number (1, 2, …) or 0."""
    current: dict[str, Any] = dict(report.details) if isinstance(report.details, dict) else {}
    more = [m for m in current.get("more") or [] if isinstance(m, dict)]
    entry = {k: str(v)[:APPEND_FIELD_CHARS] for k, v in details.items() if v not in (None, "")}
    entry["at"] = now.isoformat(timespec="seconds")
    used = sum(len(json.dumps(m, ensure_ascii=False)) for m in more)
    part = 0
    if used + len(json.dumps(entry, ensure_ascii=False)) <= settings.REPORT_APPEND_MAX_CHARS:
        more.append(entry)
        current["more"] = more
        part = len(more)
    else:
        current["more_dropped"] = int(current.get("more_dropped") or 0) + 1
    report.details = current
    report.save(update_fields=["details"])
    return part


class ReportsFull(Exception):
    """The network stored its cap of reports from strangers this window (a flood)."""

    def __init__(self, wait: int) -> None:
        super().__init__(wait)
        self.wait = wait
