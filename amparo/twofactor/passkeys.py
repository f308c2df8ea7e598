"""Passkeys (WebAuthn) as a second factor; py_webauthn does the cryptography. What it adds:

- The relying party is ``settings.WEBAUTHN_RP_ID`` (a host name; none on a bare IP) and
  the only origin ``settings.WEBAUTHN_ORIGIN``.
- A challenge lives in the session five minutes and is taken out before anything is
  checked, so a replayed answer finds nothing to match.
- The user handle is a keyed hash of the user's id; the name shown is the network's
  and "Amparo", never an email or a person's name.
- A signature counter that does not move forward (unless both are zero) is refused and
  audited as a possible clone; a conditional UPDATE moves it, so one answer passes once.
- Every failed authentication counts toward the second-factor throttle
  (amparo/twofactor/services.py)."""

from __future__ import annotations

import hashlib
import ipaddress
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
)
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User
from amparo.lib.crypto.blind import blind_index

from .models import Passkey
from .services import attempt_failed, attempt_reserve, attempt_succeeded, locked_until

RP_NAME = "Amparo"
CHALLENGE_SESSION_KEY = "amparo_passkey_challenge"
CHALLENGE_LIFETIME = 5 * 60  # seconds
CEREMONY_TIMEOUT_MS = 120_000  # what the browser is told; the server's limit is above
LABEL_MAX = 60
CREDENTIAL_ID_MAX = 1023  # bytes, the WebAuthn limit (and the column's)
REGISTER = "register"
AUTHENTICATE = "authenticate"


class PasskeyError(Exception):
    """A ceremony that did not succeed. ``code`` is for audit notes and tests (never
    personal data); ``message`` is the translated sentence shown to the person."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class RelyingParty:
    id: str
    name: str
    origin: str


def relying_party() -> RelyingParty:
    return RelyingParty(id=settings.WEBAUTHN_RP_ID, name=RP_NAME, origin=settings.WEBAUTHN_ORIGIN)


def passkeys_available() -> bool:
    """False when the relying party is missing or an IP address (browsers refuse it)."""
    rp = relying_party()
    if not rp.id or not rp.origin:
        return False
    try:
        ipaddress.ip_address(rp.id.strip("[]"))
    except ValueError:
        return True
    return False


def _require_available() -> RelyingParty:
    if not passkeys_available():
        raise PasskeyError(
            "unavailable",
            _(
                "Passkeys are turned off on this server: it has no host name, only an "
                "IP address. Use an authenticator app instead."
            ),
        )
    return relying_party()


def user_handle(user: User) -> bytes:
    """The id the authenticator stores for this account: a keyed hash of the user's
    primary key (stable, reveals neither the id nor the email without the index key)."""
    return bytes.fromhex(blind_index("webauthn-user", str(user.pk)))[:32]


def credential_hash(credential_id: bytes) -> str:
    return hashlib.sha256(credential_id).hexdigest()


def _account_name(network: Network | None) -> str:
    # Shown by the authenticator (and on a lost phone): the network, never a person.
    return f"{network.name} · {RP_NAME}" if network is not None else RP_NAME


def _transports(values: Any) -> list[AuthenticatorTransport]:
    found = []
    for value in values or []:
        try:
            found.append(AuthenticatorTransport(value))
        except ValueError:
            continue
    return found


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=bytes(passkey.credential_id), transports=_transports(passkey.transports) or None
        )
        for passkey in Passkey.objects.filter(user=user).order_by("id")
    ]


# --- challenges ------------------------------------------------------------------


def _store_challenge(session: SessionBase, purpose: str, user: User, challenge: bytes) -> None:
    challenges = dict(session.get(CHALLENGE_SESSION_KEY) or {})
    challenges[purpose] = {
        "challenge": bytes_to_base64url(challenge),
        "user": user.pk,
        "at": int(time.time()),
    }
    session[CHALLENGE_SESSION_KEY] = challenges


def _take_challenge(session: SessionBase, purpose: str, user: User) -> bytes:
    """Remove and return this purpose's challenge: used once, whatever happens next."""
    challenges = dict(session.get(CHALLENGE_SESSION_KEY) or {})
    entry = challenges.pop(purpose, None)
    session[CHALLENGE_SESSION_KEY] = challenges
    expired = PasskeyError(
        "challenge", _("This request has expired or was already used. Please try again.")
    )
    if not isinstance(entry, dict) or entry.get("user") != user.pk:
        raise expired
    at = entry.get("at")
    if not isinstance(at, int) or not 0 <= time.time() - at <= CHALLENGE_LIFETIME:
        raise expired
    try:
        return base64url_to_bytes(str(entry.get("challenge", "")))
    except ValueError as exc:
        raise expired from exc


# --- throttle ----------------------------------------------------------------------


def _locked_error(until: datetime) -> PasskeyError:
    when = date_format(timezone.localtime(until), "TIME_FORMAT")
    return PasskeyError(
        "locked", _("Too many failed attempts. Try again after %(time)s.") % {"time": when}
    )


# --- registration ------------------------------------------------------------------


def registration_options(*, user: User, network: Network | None, session: SessionBase) -> str:
    """Options for navigator.credentials.create(), as JSON; keeps the challenge."""
    rp = _require_available()
    name = _account_name(network)
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=user_handle(user),
        user_name=name,
        user_display_name=name,
        timeout=CEREMONY_TIMEOUT_MS,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(user),
    )
    _store_challenge(session, REGISTER, user, options.challenge)
    return options_to_json(options)


def clean_label(label: Any) -> str:
    if not isinstance(label, str):
        label = ""
    label = " ".join(label.split())
    if len(label) > LABEL_MAX:
        raise PasskeyError(
            "label", _("The name is too long: use at most %(max)d characters.") % {"max": LABEL_MAX}
        )
    return label


def passkey_register(
    *, user: User, network: Network | None, session: SessionBase, credential: Any, label: Any = ""
) -> Passkey:
    """Check the browser's answer to :func:`registration_options` and keep the passkey."""
    rp = _require_available()
    clean = clean_label(label)
    challenge = _take_challenge(session, REGISTER, user)
    refused = PasskeyError("invalid", _("This passkey could not be added. Please try again."))
    if not isinstance(credential, dict):
        raise refused
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
        )
    except Exception as exc:  # hostile input: whatever the parser trips on is a refusal
        raise refused from exc
    if len(verified.credential_id) > CREDENTIAL_ID_MAX:
        raise refused
    response = credential.get("response")
    transports = response.get("transports") if isinstance(response, dict) else None
    kinds = _transports(transports if isinstance(transports, list) else [])
    digest = credential_hash(verified.credential_id)
    duplicate = PasskeyError("duplicate", _("This passkey is already registered."))
    if Passkey.objects.filter(credential_id_hash=digest).exists():
        raise duplicate
    with transaction.atomic():  # the passkey and its audit row, or neither
        try:
            with transaction.atomic():
                passkey = Passkey.objects.create(
                    user=user,
                    credential_id=verified.credential_id,
                    credential_id_hash=digest,
                    public_key=verified.credential_public_key,
                    sign_count=verified.sign_count,
                    transports=sorted({kind.value for kind in kinds}),
                    label=clean,
                )
        except IntegrityError as exc:  # the same passkey sent twice at once
            raise duplicate from exc
        audit_record(
            action=AuditEvent.Action.CREATE,
            actor=user,
            network=network,
            obj=passkey,
            fields=["credential_id", "public_key", "sign_count", "transports", "label"],
        )
    return passkey


# --- authentication ----------------------------------------------------------------


def authentication_options(*, user: User, session: SessionBase) -> str:
    """Options for navigator.credentials.get() limited to the user's passkeys."""
    rp = _require_available()
    until = locked_until(user)
    if until is not None:
        raise _locked_error(until)
    allow = _descriptors(user)
    if not allow:
        raise PasskeyError("none", _("This account has no passkey yet."))
    options = generate_authentication_options(
        rp_id=rp.id,
        timeout=CEREMONY_TIMEOUT_MS,
        allow_credentials=allow,
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    _store_challenge(session, AUTHENTICATE, user, options.challenge)
    return options_to_json(options)


def passkey_authenticate(
    *, user: User, network: Network | None, session: SessionBase, credential: Any
) -> Passkey:
    """Check the browser's answer to :func:`authentication_options` for ``user``: each refusal
    counts toward the throttle and is audited by code; the caller marks the session."""
    rp = _require_available()
    # the attempt is taken before the answer is checked (services.attempt_reserve)
    until = attempt_reserve(user=user)
    if until is not None:
        raise _locked_error(until)
    try:
        passkey = _authenticate(
            user=user, network=network, session=session, credential=credential, rp=rp
        )
    except PasskeyError as error:
        raise authentication_failed(
            user=user, network=network, error=error, reserved=True
        ) from error
    attempt_succeeded(user=user, method="passkey", network=network)
    return passkey


def authentication_failed(
    *, user: User, network: Network | None, error: PasskeyError, reserved: bool = False
) -> PasskeyError:
    """Count a refused answer toward the throttle (which audits it); the error to show, or
    the lock. ``reserved``: the attempt was already taken with ``attempt_reserve``."""
    until = attempt_failed(user=user, method="passkey", network=network, reserved=reserved)
    return _locked_error(until) if until is not None else error


def _authenticate(
    *, user: User, network: Network | None, session: SessionBase, credential: Any, rp: RelyingParty
) -> Passkey:
    challenge = _take_challenge(session, AUTHENTICATE, user)
    refused = PasskeyError("invalid", _("That passkey was not accepted. Please try again."))
    if not isinstance(credential, dict):
        raise refused
    try:
        parsed = parse_authentication_credential_json(credential)
    except Exception as exc:  # hostile input
        raise refused from exc
    # Someone else's credential (or none at all) gets the same answer as a bad one.
    passkey = Passkey.objects.filter(
        credential_id_hash=credential_hash(parsed.raw_id), user=user
    ).first()
    if passkey is None:
        raise PasskeyError("unknown", refused.message)
    handle = parsed.response.user_handle
    if handle is not None and handle != user_handle(user):
        raise PasskeyError("user_handle", refused.message)
    stored = passkey.sign_count
    try:
        # The counter is checked below, after the signature, so that a refusal for a
        # counter that went back means a genuine signature (a possible clone).
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=0,
        )
    except Exception as exc:  # hostile input
        raise refused from exc
    new = verified.new_sign_count
    if (new > 0 or stored > 0) and new <= stored:
        audit_record(
            action=AuditEvent.Action.LOGIN_FAILED,
            actor=user,
            network=network,
            obj=passkey,
            fields=["sign_count"],
            note="passkey:possible_clone",
        )
        raise PasskeyError("sign_count", refused.message)
    moved = Passkey.objects.filter(pk=passkey.pk, sign_count=stored).update(
        sign_count=new, last_used_at=timezone.now()
    )
    if moved != 1:  # another request used this passkey in between
        raise PasskeyError("race", refused.message)
    passkey.refresh_from_db()
    return passkey
