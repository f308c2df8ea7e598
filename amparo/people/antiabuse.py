"""Self-hosted anti-abuse for the public forms: rate limits and a proof of work.

No third-party CAPTCHA and no IP address stored. Two defences, both cheap for a
person and costly for a script:

**Rate limits** (:func:`rate_hit`): fixed windows counted in ``RateBucket`` rows.
A row's key is a keyed hash (:func:`~amparo.lib.crypto.blind.blind_index`) of the
scope, the window and the value (a client address with the network, a phone number,
an email), so the database never holds the clear value, and the same address gives
unrelated keys in two windows. The sweeper deletes rows once their longest window
has passed (:func:`antiabuse_sweep`). Every limit is a Django setting (its default
in ``settings.py``) so a deployment or a benchmark can change it without touching
code.

**Proof of work** (:func:`challenge_issue`, :func:`challenge_check`,
:func:`challenge_spend`): the form carries a challenge signed with
``django.core.signing`` (the network, the time it was issued, the difficulty and a
random part), valid for ``SIGNUP_POW_MAX_AGE`` seconds. ``static/amparo/pow.js``
finds a decimal nonce such that ``sha256(challenge + nonce)`` starts with
``bits`` zero bits (2**bits hashes on average: about a second on a cheap phone at
14 bits) and puts it in a hidden field. The server checks the signature, the age and
the work, and records a keyed hash of the challenge in ``SpentChallenge`` so that one
solution is accepted once.

**Without JavaScript** there is no nonce. The form still works, on two conditions:
the challenge must be at least ``SIGNUP_NOJS_MIN_AGE`` seconds old (a person needs
longer than that to read and fill the form; a script that posts at once does not
wait), and the stricter ``SIGNUP_NOJS_RATE_LIMITS`` apply to such posts, on top of
the ordinary per-address limits. The challenge is spent in the same way.

Client addresses (:func:`amparo.lib.addresses.client_address`) are only ever hashed,
never stored or logged.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.models import Network
from amparo.lib.addresses import client_address
from amparo.lib.crypto.blind import blind_index
from amparo.lib.phones import display_phone

from .models import RateBucket, SpentChallenge

Limits = Sequence[tuple[int, int]]  # (at most this many, per this many seconds)

POW_SALT = "amparo.people.signup.pow"
MAX_NONCE_DIGITS = 12


# --- rate limits ---------------------------------------------------------------------


# RateBucket's and SpentChallenge's tables (test_antiabuse_sql_names_the_models_tables)
_COUNT_SQL = (
    'INSERT INTO "people_ratebucket" (key_hash, window_start, "count") VALUES (%s, %s, 1) '
    'ON CONFLICT (key_hash, window_start) DO UPDATE SET "count" = "people_ratebucket"."count" + 1 '
    'RETURNING "count"'
)
_SPEND_SQL = (
    'INSERT INTO "people_spentchallenge" (challenge_hash, used_at) VALUES (%s, %s) '
    "ON CONFLICT (challenge_hash) DO NOTHING"
)


def _count(*, key: str, window_start: datetime) -> int:
    """Add one to the window's row, creating it at 1: one statement (an upsert that
    returns the new count) on SQLite and PostgreSQL alike, instead of an UPDATE, maybe
    an INSERT in a savepoint, then a SELECT."""
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_SQL, [key, connection.ops.adapt_datetimefield_value(window_start)])
        return int(cursor.fetchone()[0])


def _hit_one(*, scope: str, value: str, limit: int, seconds: int, now: datetime) -> int:
    start = int(now.timestamp()) // seconds * seconds
    window_start = datetime.fromtimestamp(start, tz=UTC)
    key = blind_index("rate", f"{scope}\x00{seconds}\x00{start}\x00{value}")
    if _count(key=key, window_start=window_start) <= limit:
        return 0
    return max(1, start + seconds - int(now.timestamp()))


def rate_hit(*, scope: str, value: str, limits: Limits, now: datetime | None = None) -> int:
    """Count one event for ``value`` in each window; 0 if within every limit, else the
    seconds until every window that was exceeded has ended (for Retry-After)."""
    now = now or timezone.now()
    retry = 0
    # one short write transaction for all the windows (no savepoint inside another)
    with transaction.atomic(savepoint=False):
        for limit, seconds in limits:
            wait = _hit_one(scope=scope, value=value, limit=limit, seconds=seconds, now=now)
            retry = max(retry, wait)
    return retry


def rate_peek(*, scope: str, value: str, seconds: int, now: datetime | None = None) -> list[int]:
    """The counts :func:`rate_hit` kept for ``value`` in the current window and the one
    before it (nothing is counted): a flood is seen, and outlasts its window by one."""
    now = now or timezone.now()
    start = int(now.timestamp()) // seconds * seconds
    keys = {
        blind_index("rate", f"{scope}\x00{seconds}\x00{begin}\x00{value}"): begin
        for begin in (start, start - seconds)
    }
    found = {
        (key, int(window.timestamp())): count
        for key, window, count in RateBucket.objects.filter(key_hash__in=keys).values_list(
            "key_hash", "window_start", "count"
        )
    }
    return [found.get((key, begin), 0) for key, begin in keys.items()]


def flood_count(*, scope: str, value: str, threshold: tuple[int, int]) -> None:
    """Count one post of a public form toward a flood (``threshold``: posts, seconds)."""
    rate_hit(scope=scope, value=value, limits=[threshold])


def flood_seen(
    *, scope: str, value: str, threshold: tuple[int, int], now: datetime | None = None
) -> bool:
    """Whether more than ``threshold``'s posts were counted in this window or the one
    before (a flood outlasts its window by one)."""
    count, seconds = threshold
    return max(rate_peek(scope=scope, value=value, seconds=seconds, now=now)) > count


def signup_rate_check(*, network: Network, address: str, solved: bool) -> int:
    """Per-address limits for one post of the sign-up form (stricter without a proof of
    work). Returns 0 or the seconds to wait."""
    value = f"{network.pk}\x00{address}"
    with transaction.atomic(savepoint=False):
        retry = rate_hit(scope="signup-address", value=value, limits=settings.SIGNUP_RATE_LIMITS)
        if not solved:
            retry = max(
                retry,
                rate_hit(scope="signup-nojs", value=value, limits=settings.SIGNUP_NOJS_RATE_LIMITS),
            )
    return retry


def contact_rate_check(*, contacts: Iterable[str]) -> int:
    """Per-contact limits (normalized phone numbers, emails), across networks."""
    retry = 0
    with transaction.atomic(savepoint=False):
        for contact in [c for c in contacts if c]:
            retry = max(
                retry,
                rate_hit(
                    scope="signup-contact",
                    value=contact,
                    limits=settings.SIGNUP_CONTACT_RATE_LIMITS,
                ),
            )
    return retry


@dataclass(frozen=True)
class Admission:
    wait: int  # seconds to wait (HTTP 429) or 0
    fresh: bool  # False: the challenge was spent already (a replay)


class _SaveFailed(Exception):
    """Carries a failed save out to :func:`admission_transaction`, past its caller."""


class Admitting:
    """The save after an admission (:func:`admission_transaction`)."""

    failed: Exception | None = None

    @contextmanager
    def save(self) -> Iterator[None]:
        """The save in a savepoint of its own: when it fails, the admission (the limits
        counted, the challenge spent) still commits, and the error is raised after it,
        so a failing input is never posted again and again on one solved challenge."""
        try:
            with transaction.atomic():
                yield
        except Exception as exc:
            self.failed = exc
            raise _SaveFailed from exc


@contextmanager
def admission_transaction(*, with_save: bool = True) -> Iterator[Admitting]:
    """Around a public form's admission (limits counted, challenge spent) and the save
    that follows (``with_save``, inside ``Admitting.save()``): on SQLite one write
    transaction, as every write there queues for the one write lock (issue 16); on
    PostgreSQL none, so the admission's rate rows, shared by every post from an address
    or a network, commit apart and never wait for a save; none either without
    ``with_save`` (CPU work comes between)."""
    admitting = Admitting()
    together = with_save and connection.vendor == "sqlite"
    # A failed save stops at suppress, inside the transaction: the admission commits.
    with transaction.atomic() if together else nullcontext(), suppress(_SaveFailed):
        yield admitting
    if admitting.failed is not None:
        raise admitting.failed


def signup_admit(
    *, network: Network, address: str, solved: bool, challenge: str, contacts: Iterable[str]
) -> Admission:
    """For a valid form, in one short write transaction: the per-address limits, then
    spend its challenge, then the per-contact limits (a rejected form only counts
    against the address: :func:`signup_rate_check`)."""
    with transaction.atomic(savepoint=False):
        wait = signup_rate_check(network=network, address=address, solved=solved)
        if wait:
            return Admission(wait=wait, fresh=True)
        if not challenge_spend(challenge=challenge):
            return Admission(wait=0, fresh=False)
        return Admission(wait=contact_rate_check(contacts=contacts), fresh=True)


def network_sms_allowed(*, network: Network) -> bool:
    """Whether one more confirmation text fits in the network's cap (counts it)."""
    return not rate_hit(
        scope="signup-sms", value=str(network.pk), limits=settings.SIGNUP_NETWORK_SMS_LIMITS
    )


# --- proof of work -------------------------------------------------------------------


@dataclass(frozen=True)
class PowCheck:
    ok: bool
    solved: bool  # a nonce was given and is right (False on the no-JavaScript path)
    reason: str = ""  # "expired" | "invalid" | "too-fast" | "wrong" when not ok


def challenge_issue(*, network: Network, bits: int | None = None) -> str:
    """A signed challenge asking for ``bits`` of work (default ``SIGNUP_POW_BITS``)."""
    payload = {
        "n": network.pk,
        "t": int(time.time()),
        "d": settings.SIGNUP_POW_BITS if bits is None else bits,
        "r": secrets.token_urlsafe(12),
    }
    return signing.dumps(payload, salt=POW_SALT, compress=False)


def leading_zero_bits(digest: bytes) -> int:
    value = int.from_bytes(digest, "big")
    return len(digest) * 8 - value.bit_length()


def pow_solve(*, challenge: str, bits: int) -> str:
    """Find a nonce (the same search pow.js does; used by tests and the benchmark)."""
    base = hashlib.sha256(challenge.encode())
    nonce = 0
    while True:
        digest = base.copy()
        digest.update(str(nonce).encode())
        if leading_zero_bits(digest.digest()) >= bits:
            return str(nonce)
        nonce += 1


def challenge_bits(challenge: str) -> int:
    """The difficulty a (trusted, signed) challenge asks for; 0 if unreadable."""
    try:
        payload = signing.loads(challenge, salt=POW_SALT)
    except signing.BadSignature:
        return 0
    return int(payload.get("d", 0)) if isinstance(payload, dict) else 0


def challenge_check(*, network: Network, challenge: str, nonce: str, min_bits: int = 0) -> PowCheck:
    """Verify a challenge and its nonce without spending it (see the module docstring).
    A solved challenge that asked for less than ``min_bits`` (issued before the form's
    difficulty rose, e.g. during a flood) is refused as "harder": the page comes back,
    everything typed kept, with a new challenge."""
    max_age = settings.SIGNUP_POW_MAX_AGE
    try:
        payload = signing.loads(challenge, salt=POW_SALT, max_age=max_age)
    except signing.SignatureExpired:
        return PowCheck(ok=False, solved=False, reason="expired")
    except signing.BadSignature:
        return PowCheck(ok=False, solved=False, reason="invalid")
    if not isinstance(payload, dict) or payload.get("n") != network.pk:
        return PowCheck(ok=False, solved=False, reason="invalid")
    nonce = nonce.strip()
    if not nonce:
        age = time.time() - float(payload.get("t", 0))
        if age < settings.SIGNUP_NOJS_MIN_AGE:
            return PowCheck(ok=False, solved=False, reason="too-fast")
        return PowCheck(ok=True, solved=False)
    if not (nonce.isascii() and nonce.isdigit() and len(nonce) <= MAX_NONCE_DIGITS):
        return PowCheck(ok=False, solved=False, reason="wrong")
    digest = hashlib.sha256((challenge + nonce).encode()).digest()
    if leading_zero_bits(digest) < int(payload.get("d", 0)):
        return PowCheck(ok=False, solved=False, reason="wrong")
    if int(payload.get("d", 0)) < min_bits:
        return PowCheck(ok=False, solved=False, reason="harder")
    return PowCheck(ok=True, solved=True)


def challenge_spend(*, challenge: str) -> bool:
    """Record the challenge as used; False if it already was (a replay). One statement
    that inserts or does nothing: no savepoint to catch a duplicate key."""
    with connection.cursor() as cursor:
        cursor.execute(
            _SPEND_SQL,
            [
                blind_index("pow-spent", challenge),
                connection.ops.adapt_datetimefield_value(timezone.now()),
            ],
        )
        return cursor.rowcount == 1


# --- the public forms' replies (sign-up, report) -------------------------------------

MAX_CHALLENGE = 400
MAX_NONCE = 32


@dataclass(frozen=True)
class Posted:
    challenge: str  # checked, not yet spent
    check: PowCheck
    address: str  # to hash, never to store


def posted(*, request: HttpRequest, network: Network, min_bits: int = 0) -> Posted:
    """A public form's post: its proof of work checked (at least ``min_bits`` of it when
    solved), and the client's address."""
    challenge = request.POST.get("pow_challenge", "")[:MAX_CHALLENGE]
    nonce = request.POST.get("pow_nonce", "")[:MAX_NONCE]
    check = challenge_check(network=network, challenge=challenge, nonce=nonce, min_bits=min_bits)
    return Posted(challenge=challenge, check=check, address=client_address(request=request))


def pow_context(*, network: Network, bits: int | None = None) -> dict[str, Any]:
    """What a public form's page needs to ask for a proof of work (of ``bits``, default
    ``SIGNUP_POW_BITS``)."""
    bits = settings.SIGNUP_POW_BITS if bits is None else bits
    return {"challenge": challenge_issue(network=network, bits=bits), "pow_bits": bits}


def hotline_shown(network: Network) -> str:
    return display_phone(network.hotline_number) if network.hotline_number else ""


def pow_error(reason: str) -> str:
    """Why a public form is shown again (``PowCheck.reason``, or "replayed")."""
    if reason == "expired":
        return _("This form was open for a long time. Please check your answers and send it again.")
    if reason == "too-fast":
        return _("Please take a moment to check your answers, then send the form again.")
    if reason == "harder":
        return _(
            "Many reports are arriving right now, so your phone needs a little longer to "
            "check this form. Please send it again; what you wrote is still here."
        )
    return _("We could not check that a person sent this form. Please send it again.")


def too_many(
    request: HttpRequest,
    network: Network,
    wait: int,
    *,
    template: str,
    as_name: str,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """429: try again in so many minutes (``template`` names the network ``as_name``);
    ``context`` adds to the page (what the person typed, to show it back)."""
    context = {**(context or {}), as_name: network, "minutes": max(1, (wait + 59) // 60)}
    response = render(request, template, {**context, "hotline": hotline_shown(network)}, status=429)
    response["Retry-After"] = str(wait)
    return response


# --- sweeping ------------------------------------------------------------------------


def antiabuse_sweep() -> int:
    """Delete rate buckets whose windows have all passed and spent challenges that have
    expired anyway (registered in the core sweeper). Returns the rows deleted."""
    now = timezone.now()
    longest = max(
        seconds
        for limits in (
            settings.SIGNUP_RATE_LIMITS,
            settings.SIGNUP_NOJS_RATE_LIMITS,
            settings.SIGNUP_CONTACT_RATE_LIMITS,
            settings.SIGNUP_NETWORK_SMS_LIMITS,
        )
        for _count, seconds in limits
    )
    buckets, _ = RateBucket.objects.filter(
        window_start__lt=now - timedelta(seconds=longest)
    ).delete()
    max_age = settings.SIGNUP_POW_MAX_AGE
    # A challenge older than its maximum age is refused by its signature already.
    spent, _ = SpentChallenge.objects.filter(
        used_at__lt=now - timedelta(seconds=max_age + 60)
    ).delete()
    return buckets + spent
