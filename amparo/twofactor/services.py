"""Writes for second factors: authenticator apps (TOTP), recovery codes, the throttle of
failed attempts, removal, and a coordinator's reset for someone who lost their phone.

Conditional UPDATEs decide races (DESIGN.md "Background work and time"): a TOTP code
passes only if its step is later than the device's ``last_step`` (no replay, no older
code after a newer one); a recovery code is spent once (``used_at=None``); every
attempt, passkeys too, is taken from the account's window *before* its check, so racing
requests get at most ``MAX_FAILURES`` checks between them. A full window locks the
second step for ``LOCK_FOR``, doubling each time (at most ``LOCK_MAX``) until a success.
Every enrolment, removal, success, failure, lock, code use and reset is audited,
never a code or a secret."""

from __future__ import annotations

import hmac
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pyotp
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Membership, Network, User
from amparo.accounts.services import password_set_link, sessions_revoke
from amparo.lib.crypto.blind import blind_index

from .models import Passkey, RecoveryCode, SecondFactorThrottle, TOTPDevice
from .policy import requires_two_factor

STEP_SECONDS = 30
WINDOW = 1  # steps either side of now: a phone's clock may be 30 s off
DIGITS = 6
MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)  # the first lock; each one after it lasts twice as long
LOCK_MAX = timedelta(hours=24)
LOCKED_NOTE = "second-factor-locked"  # the audit note of a lock
PENDING_FOR = timedelta(hours=1)  # an unconfirmed app is kept this long

RECOVERY_CODE_COUNT = 10
# Crockford's base32: no i, l, o or u, so nothing reads as another symbol.
RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
RECOVERY_GROUPS = 3
RECOVERY_GROUP_LENGTH = 4
_LOOKALIKES = str.maketrans({"o": "0", "i": "1", "l": "1"})
_CODE = re.compile(rf"^\d{{{DIGITS}}}$")


class LastFactorError(Exception):
    """Removing this factor would leave an account that needs two factors with none."""


# --- the throttle -----------------------------------------------------------------


def _audit(
    action: str, obj: Any, network: Network | None, note: str, actor: Any = ..., **kw: Any
) -> None:
    """One audit row for a second-factor event; the actor is ``obj`` unless given."""
    audit_record(
        action=action,
        actor=obj if actor is ... else actor,
        network=network,
        obj=obj,
        note=note,
        **kw,
    )


def locked_until(user: User | Any) -> datetime | None:
    """When the account's second step unlocks, or None when it is not locked."""
    row = SecondFactorThrottle.objects.filter(user=user).values_list("locked_until", flat=True)
    until = row.first()
    if until is not None and until > timezone.now():
        return until
    return None


def lock_duration(locks_before: int) -> timedelta:
    """The next lock after ``locks_before`` locks: 15 min, then 30, 60, … at most ``LOCK_MAX``."""
    return min(LOCK_FOR * (2 ** min(max(locks_before, 0), 16)), LOCK_MAX)


def attempt_reserve(*, user: User | Any) -> datetime | None:
    """Take one attempt of the account's window *before* any code is checked.

    Counted (one conditional UPDATE) only while unlocked and under ``MAX_FAILURES``: None
    when the attempt may go ahead, else the time the account unlocks. The attempt stays
    counted unless :func:`attempt_succeeded` gives it back."""
    now = timezone.now()
    SecondFactorThrottle.objects.get_or_create(user=user)
    taken = (
        SecondFactorThrottle.objects.filter(user=user, failures__lt=MAX_FAILURES)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .update(failures=F("failures") + 1, updated_at=now)
    )
    if taken == 1:
        return None
    until = locked_until(user)
    if until is not None:
        return until
    locks = SecondFactorThrottle.objects.filter(user=user).values_list("locks", flat=True).first()
    return now + lock_duration(locks or 0)


def _lock_when_full(*, user: User | Any, network: Network | None) -> datetime | None:
    """Lock the account when its window is full. A compare-and-set on ``locks``: of
    several failures finishing at once exactly one writes the lock."""
    locks = (
        SecondFactorThrottle.objects.filter(user=user, failures__gte=MAX_FAILURES)
        .values_list("locks", flat=True)
        .first()
    )
    if locks is None:
        return None
    now = timezone.now()
    until = now + lock_duration(locks)
    locked = SecondFactorThrottle.objects.filter(
        user=user, failures__gte=MAX_FAILURES, locks=locks
    ).update(failures=0, locks=locks + 1, locked_until=until, updated_at=now)
    if not locked:
        return None
    # one row per lock (codes only): the coordinators' unusual-reading page can list them
    _audit(AuditEvent.Action.LOGIN_FAILED, user, network, LOCKED_NOTE)
    return until


def attempt_failed(
    *, user: User | Any, method: str, network: Network | None = None, reserved: bool = False
) -> datetime | None:
    """Count one failed attempt (``totp``, ``recovery``, ``passkey``); ``reserved``: already
    taken by :func:`attempt_reserve`. Returns the unlock time when this failure locked the
    account (or it was locked already), else None."""
    if not reserved:
        refused = attempt_reserve(user=user)
        if refused is not None:
            return refused
    _audit(AuditEvent.Action.LOGIN_FAILED, user, network, f"second factor failed: {method}")
    return _lock_when_full(user=user, network=network)


def attempt_succeeded(*, user: User | Any, method: str, network: Network | None = None) -> None:
    """Give the attempts back, forget the locks and record the success."""
    SecondFactorThrottle.objects.filter(user=user).exclude(
        failures=0, locks=0, locked_until=None
    ).update(failures=0, locks=0, locked_until=None, updated_at=timezone.now())
    _audit(AuditEvent.Action.LOGIN, user, network, f"second factor passed: {method}")


# --- authenticator apps (TOTP) ------------------------------------------------------


def current_step(at: float | None = None) -> int:
    return int((time.time() if at is None else at) // STEP_SECONDS)


def _matching_step(secret: str, code: str, at: float) -> int | None:
    """The step within ±WINDOW of ``at`` whose code is ``code``, latest first."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    now_step = current_step(at)
    found = None
    for step in range(now_step - WINDOW, now_step + WINDOW + 1):
        expected = totp.generate_otp(step)
        if hmac.compare_digest(expected.encode(), code.encode()):
            found = step  # keep looking: the latest matching step wins
    return found


def normalize_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "")


def totp_enrol_start(*, user: User | Any, reuse_pk: int | None = None) -> TOTPDevice:
    """An unconfirmed device with a fresh random secret, confirmed by its first code.

    ``reuse_pk`` is the device this browser session was already shown (kept in the
    session), so reloading the set-up page keeps the same QR code. A device started in
    another session is never shown again: someone who knew the password and opened the
    set-up page first must not learn the secret the owner then confirms."""
    if reuse_pk is not None:
        waiting = TOTPDevice.objects.filter(user=user, confirmed=False, pk=reuse_pk).first()
        if waiting is not None:
            return waiting
    # set-ups abandoned long ago are dropped, so they cannot pile up
    TOTPDevice.objects.filter(
        user=user, confirmed=False, created_at__lt=timezone.now() - PENDING_FOR
    ).delete()
    return TOTPDevice.objects.create(user=user, secret=pyotp.random_base32(), confirmed=False)


def totp_enrol_confirm(*, device: TOTPDevice, code: str, network: Network | None = None) -> bool:
    """Confirm a device with its first correct code; the code's step is spent."""
    code = normalize_code(code)
    if device.confirmed or not _CODE.match(code):
        return False
    step = _matching_step(device.secret, code, time.time())
    if step is None:
        return False
    with transaction.atomic():
        done = TOTPDevice.objects.filter(pk=device.pk, confirmed=False, last_step__lt=step).update(
            confirmed=True, last_step=step, last_used_at=timezone.now()
        )
        if done != 1:
            return False
        # the other codes shown on screens that were never confirmed are dropped
        TOTPDevice.objects.filter(user_id=device.user_id, confirmed=False).delete()
        _audit(
            AuditEvent.Action.CREATE,
            device,
            network,
            "second factor enrolled: totp",
            actor=device.user,
        )
    device.refresh_from_db()
    return True


def totp_enrol_confirmed(
    *, user: User | Any, secret: str | None = None, network: Network | None = None
) -> TOTPDevice:
    """A confirmed device without a code typed: for the demo's printed logins and for
    tests that log in through the real pages. Not reachable from any page."""
    with transaction.atomic():
        device = TOTPDevice.objects.create(
            user=user, secret=secret or pyotp.random_base32(), confirmed=True
        )
        _audit(
            AuditEvent.Action.CREATE,
            device,
            network,
            "second factor enrolled: totp (demo or test)",
            actor=None,
        )
    return device


def totp_check(*, user: User | Any, code: str, at: float | None = None) -> TOTPDevice | None:
    """The confirmed device that accepts ``code`` now, spending its step; None when wrong, old
    or replayed. No throttle, no audit: callers use :func:`second_factor_verify`."""
    code = normalize_code(code)
    if not _CODE.match(code):
        return None
    moment = time.time() if at is None else at
    for device in TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk"):
        step = _matching_step(device.secret, code, moment)
        if step is None:
            continue
        spent = TOTPDevice.objects.filter(pk=device.pk, last_step__lt=step).update(
            last_step=step, last_used_at=timezone.now()
        )
        return device if spent == 1 else None
    return None


# --- recovery codes -----------------------------------------------------------------


def normalize_recovery_code(code: str) -> str:
    """Case, dashes and spaces do not matter; o, i and l are read as 0, 1 and 1."""
    return re.sub(r"[^0-9a-z]", "", (code or "").lower()).translate(_LOOKALIKES)


def recovery_code_hash(code: str) -> str:
    return blind_index("recovery", normalize_recovery_code(code))


def _new_recovery_code() -> str:
    groups = (
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_GROUP_LENGTH))
        for _ in range(RECOVERY_GROUPS)
    )
    return "-".join(groups)


def recovery_codes_generate(*, user: User | Any, network: Network | None = None) -> list[str]:
    """A new set of codes, shown once (the old set stops working); only keyed hashes kept."""
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        voided = RecoveryCode.objects.filter(user=user).delete()[0]
        RecoveryCode.objects.bulk_create(
            RecoveryCode(user=user, code_hash=recovery_code_hash(code)) for code in codes
        )
        _audit(
            AuditEvent.Action.CREATE,
            user,
            network,
            f"recovery codes generated: {len(codes)}, voided: {voided}",
        )
    return codes


def recovery_codes_left(user: User | Any) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def recovery_codes_exist(user: User | Any) -> bool:
    return RecoveryCode.objects.filter(user=user).exists()


def recovery_code_use(*, user: User | Any, code: str) -> bool:
    """Spend one of ``user``'s unused codes; False when it is wrong or already used."""
    normalized = normalize_recovery_code(code)
    if len(normalized) != RECOVERY_GROUPS * RECOVERY_GROUP_LENGTH:
        return False
    spent = RecoveryCode.objects.filter(
        user=user, code_hash=blind_index("recovery", normalized), used_at__isnull=True
    ).update(used_at=timezone.now())
    return spent == 1


# --- the second step of a log-in ----------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    ok: bool
    method: str = ""  # "totp" or "recovery"
    locked_until: datetime | None = None
    recovery_left: int | None = None
    empty: bool = False  # nothing was typed: not counted as a failure


def second_factor_verify(
    *, user: User | Any, code: str, recovery: bool = False, network: Network | None = None
) -> Outcome:
    """Check a six-digit code (or a recovery code) under the throttle. The attempt is taken
    before the check: a locked or full window refuses even a right code, unspent."""
    cleaned = normalize_code(code)
    if not cleaned:  # nothing typed: not an attempt
        until = locked_until(user)
        return Outcome(ok=False, locked_until=until, empty=until is None)
    until = attempt_reserve(user=user)
    if until is not None:
        return Outcome(ok=False, locked_until=until)
    if not recovery and _CODE.match(cleaned):
        method = "totp"
        ok = totp_check(user=user, code=cleaned) is not None
    else:
        method = "recovery"
        ok = recovery_code_use(user=user, code=code)
    if not ok:
        until = attempt_failed(user=user, method=method, network=network, reserved=True)
        return Outcome(ok=False, method=method, locked_until=until)
    attempt_succeeded(user=user, method=method, network=network)
    left = None
    if method == "recovery":
        left = recovery_codes_left(user)
        _audit(
            AuditEvent.Action.UPDATE,
            user,
            network,
            f"recovery code used, {left} left",
            fields=["used_at"],
        )
    return Outcome(ok=True, method=method, recovery_left=left)


# --- removal and reset --------------------------------------------------------------


def factor_remove(*, user: User | Any, kind: str, pk: int, network: Network | None = None) -> bool:
    """Remove one of ``user``'s own factors (``totp``, ``passkey``); False when not found. Raises
    :class:`LastFactorError` for the last one of an account that needs two; none left, the
    recovery codes go too."""
    if kind not in ("totp", "passkey"):
        return False
    with transaction.atomic():
        # one removal at a time per account, so two at once cannot remove the last two
        User.objects.select_for_update().filter(pk=user.pk).first()
        apps = TOTPDevice.objects.filter(user=user, confirmed=True)
        passkeys = Passkey.objects.filter(user=user)
        target: TOTPDevice | Passkey | None
        if kind == "totp":
            target = apps.filter(pk=pk).first()
            apps = apps.exclude(pk=pk)
        else:
            target = passkeys.filter(pk=pk).first()
            passkeys = passkeys.exclude(pk=pk)
        if target is None:
            return False
        others = apps.exists() or passkeys.exists()
        if not others and requires_two_factor(user):
            raise LastFactorError
        _audit(
            AuditEvent.Action.DELETE, target, network, f"second factor removed: {kind}", actor=user
        )
        target.delete()
        if not others:
            RecoveryCode.objects.filter(user=user).delete()
    return True


class ResetRefused(Exception):
    """A coordinator may not reset this account's factors. ``reason``: ``self``,
    ``capabilities`` (it can do more than they) or ``other_network`` (factors are global)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def reset_refusal(*, target: User | Any, by: User | Any, network: Network) -> str | None:
    """Why ``by`` may not reset ``target``'s factors in ``network``, or None. The reset link
    hands the account over, so only an account of this network alone (no membership
    elsewhere, even inactive) that can do nothing the coordinator cannot (its roles count
    even while inactive)."""
    if target.pk == by.pk:
        return "self"
    others = Membership.objects.filter(user=target).exclude(network=network)
    if others.exists():
        return "other_network"
    mine = Membership.objects.filter(user=by, network=network, is_active=True).first()
    theirs = Membership.objects.filter(user=target, network=network).first()
    if mine is None or theirs is None:
        return "capabilities"
    if not theirs.capabilities() <= mine.capabilities():
        return "capabilities"
    return None


@dataclass(frozen=True)
class ResetCounts:
    apps: int
    passkeys: int
    recovery_codes: int
    sessions: int
    #: the one-time password-set link for the coordinator to hand over; shown once,
    #: never stored, logged or audited (kept out of repr so it cannot slip into a log)
    password_link: str = field(default="", repr=False)


RESET_NOTE = "second factors reset"


def two_factor_reset(*, target: User | Any, by: User | Any, network: Network) -> ResetCounts:
    """A coordinator clears the factors of someone who lost their phone (:func:`factors_clear`:
    the password too, or a thief with the phone who knows it could set up their own), and
    gets a one-time password-set link to hand over in person or by phone. Raises
    :class:`ResetRefused` (nothing changed) when :func:`reset_refusal` says no."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=target.pk).first()
        reason = reset_refusal(target=target, by=by, network=network)
        if reason is not None:
            raise ResetRefused(reason)
        return factors_clear(target=target, by=by, network=network)


def factors_clear(
    *, target: User | Any, by: User | Any = None, network: Network | None = None
) -> ResetCounts:
    """Clear every factor of ``target`` without asking who may (callers decide): apps,
    passkeys, recovery codes, the throttle, sessions and the password; the counts and a
    one-time password-set link."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=target.pk).first()
        apps = TOTPDevice.objects.filter(user=target).delete()[1].get(TOTPDevice._meta.label, 0)
        passkeys = Passkey.objects.filter(user=target).delete()[1].get(Passkey._meta.label, 0)
        codes = (
            RecoveryCode.objects.filter(user=target).delete()[1].get(RecoveryCode._meta.label, 0)
        )
        SecondFactorThrottle.objects.filter(user=target).delete()
        target.set_unusable_password()
        target.save(update_fields=["password"])
        sessions = sessions_revoke(target)
        _audit(
            AuditEvent.Action.DELETE,
            target,
            network,
            f"{RESET_NOTE}: apps={apps} passkeys={passkeys} "
            f"recovery_codes={codes} sessions={sessions} password=unusable",
            actor=by,
            fields=["password"],
        )
        # made after the new password hash: the token is bound to it, so it works once
        # and every link sent before (a "forgot password" mail) stops working
        link = password_set_link(user=target)
    return ResetCounts(apps, passkeys, codes, sessions, password_link=link)


def password_reset_held(user: User | Any) -> bool:
    """True while a reset account has not set its new password through the coordinator's link:
    the "forgot password" mail must not serve it (the mailbox may be on the lost phone)."""
    if user is None or user.pk is None or user.has_usable_password():
        return False
    return AuditEvent.objects.filter(
        target_type=User._meta.label_lower,
        target_id=str(user.pk),
        note__startswith=f"{RESET_NOTE}:",
    ).exists()
