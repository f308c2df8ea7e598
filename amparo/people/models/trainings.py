"""Trainings: their types (how long each stays valid), sessions, sign-ups, and the
trainings each person completed."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import LANGUAGE_CHOICES, NamedBySlug, Network
from amparo.lib.crypto import classify
from amparo.lib.labelled import Labelled

from .persons import Person


@classify(public=["network", "slug", "name", "validity_days", "position"])
class TrainingType(NamedBySlug):
    """Orientation, know-your-rights, rapid responder, legal observer, hotline, verifier…"""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="training_types")
    slug = models.SlugField(max_length=40)
    name = models.JSONField(default=dict)
    validity_days = models.PositiveIntegerField(null=True, blank=True)  # None: never expires
    position = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["position", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["network", "slug"], name="training_type_slug")
        ]
        verbose_name = _("training type")

    def expires_on(self, completed_on: date) -> date | None:
        return completed_on + timedelta(days=self.validity_days) if self.validity_days else None


@classify(
    public=["network", "training_type", "starts_at", "ends_at", "language", "capacity"],
    internal=["place", "link", "trainer"],
)
class TrainingSession(models.Model):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    training_type = models.ForeignKey(
        TrainingType, on_delete=models.CASCADE, related_name="sessions"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    # Where trainings happen is told to anyone who signs up: a hall, a church, a link.
    place = models.CharField(_("place"), max_length=200, blank=True)
    link = models.URLField(_("link"), blank=True)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGE_CHOICES)
    trainer = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="trainings_given"
    )
    capacity = models.PositiveIntegerField(_("capacity"), default=30)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("training session")

    def __str__(self) -> str:
        return f"{self.training_type} {self.starts_at:%Y-%m-%d}"


@classify(internal=["session", "person", "status", "signed_up_at", "attended_at"])
class TrainingSignup(Labelled):
    class Status(models.TextChoices):
        SIGNED_UP = "signed_up", _("signed up")
        ATTENDED = "attended", _("attended")
        NO_SHOW = "no_show", _("did not come")
        CANCELLED = "cancelled", _("cancelled")

    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="signups")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="training_signups")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SIGNED_UP)
    signed_up_at = models.DateTimeField(default=timezone.now)
    attended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "person"], name="training_signup_once")
        ]
        verbose_name = _("training sign-up")
        verbose_name_plural = _("training sign-ups")

    str_label = "training signup"


@classify(internal=["person", "training_type", "completed_on", "expires_on", "session"])
class PersonTraining(Labelled):
    """A training a person completed (from attendance or an imported record)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="trainings")
    training_type = models.ForeignKey(TrainingType, on_delete=models.CASCADE, related_name="+")
    completed_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    session = models.ForeignKey(
        TrainingSession, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "training_type", "completed_on"], name="person_training_once"
            )
        ]
        indexes = [models.Index(fields=["training_type", "expires_on"])]
        verbose_name = _("completed training")
        verbose_name_plural = _("completed trainings")

    str_label = "training"
