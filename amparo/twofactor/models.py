"""Second factors of an account: authenticator-app secrets (TOTP), passkeys (WebAuthn)
and one-time recovery codes, plus the per-user throttle of second-factor attempts.

The TOTP secret is sealed with the user's own data key (shredding the user destroys
it). A recovery code is kept only as a keyed hash. A passkey's credential id and
public key are not secret (the private key never leaves the person's device); its
label is the person's own words, so it is sealed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.lib.crypto import EncryptedTextField, classify
from amparo.lib.labelled import Labelled


@classify(internal=["user", "last_step", "confirmed", "last_used_at"], sensitive=["secret"])
class TOTPDevice(Labelled):
    """An authenticator app. ``last_step`` is the 30-second step of the last code
    accepted: a code of that step or an earlier one is refused (no replay)."""

    data_key_owner = "user"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_devices"
    )
    secret = EncryptedTextField(_("secret"))  # base32
    last_step = models.BigIntegerField(default=0)
    confirmed = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("authenticator app")

    str_label = "totp device"


@classify(
    internal=[
        "user",
        "credential_id",
        "credential_id_hash",
        "public_key",
        "sign_count",
        "transports",
        "last_used_at",
    ],
    personal=["label"],
)
class Passkey(Labelled):
    """A WebAuthn credential. ``sign_count`` going backwards means a cloned
    authenticator: the assertion is refused."""

    data_key_owner = "user"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="passkeys"
    )
    credential_id = models.BinaryField(max_length=1023)
    credential_id_hash = models.CharField(max_length=64, unique=True)  # sha256 hex, for lookup
    public_key = models.BinaryField()
    sign_count = models.BigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    label = EncryptedTextField(_("name"), blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("passkey")

    str_label = "passkey"


@classify(internal=["user", "code_hash", "used_at"])
class RecoveryCode(Labelled):
    """One single-use recovery code, kept only as a keyed hash."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")

    str_label = "recovery code"


@classify(internal=["user", "failures", "locks", "locked_until", "updated_at"])
class SecondFactorThrottle(Labelled):
    """Failed second-factor attempts of one account (a stolen password must not get
    unlimited guesses at a six-digit code); the rules are in amparo/twofactor/services.py."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="second_factor_throttle"
    )
    failures = models.PositiveIntegerField(default=0)
    locks = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("second-factor throttle")

    str_label = "throttle"
