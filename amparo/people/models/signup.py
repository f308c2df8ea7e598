"""The public sign-up: double opt-in confirmations, and the anti-abuse counters and
spent proof-of-work challenges that guard the public forms."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.lib.crypto import classify
from amparo.lib.labelled import Labelled

from .persons import CHANNEL_CHOICES, Person


@classify(
    internal=[
        "person",
        "channel",
        "token_hash",
        "sent_at",
        "confirmed_at",
        "expires_at",
        "attempts",
    ]
)
class SignupConfirmation(Labelled):
    """Double opt-in: a code sent by SMS or a link by email; only its hash is kept."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="confirmations")
    channel = models.CharField(max_length=8, choices=CHANNEL_CHOICES)
    token_hash = models.CharField(max_length=64, db_index=True)
    sent_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("sign-up confirmation")

    str_label = "confirmation"


@classify(internal=["id", "key_hash", "window_start", "count"])
class RateBucket(Labelled):
    """Anti-abuse counters keyed by a keyed hash (of a client address, a phone…), never
    the clear value; rows older than their window are deleted by the sweeper."""

    key_hash = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key_hash", "window_start"], name="rate_bucket_once")
        ]
        verbose_name = _("rate counter")
        verbose_name_plural = _("rate counters")

    str_label = "rate bucket"


@classify(internal=["id", "challenge_hash", "used_at"])
class SpentChallenge(Labelled):
    """Proof-of-work challenges already used, so one solution cannot be replayed."""

    challenge_hash = models.CharField(max_length=64, unique=True)
    used_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("spent challenge")
        verbose_name_plural = _("spent challenges")

    str_label = "spent challenge"
