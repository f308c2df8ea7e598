"""Court hearings on a case and the accompaniers who go with the family (DOMAIN.md §3).

A hearing borrows its case's data key: the court, the judge, the family's phone and the
outcome's note are sealed with it, so shredding the case destroys them too. The time is
clear (the reminder sweep reads it), stored in UTC and shown in the network's zone.
Each reminder and the escalation is claimed once by a conditional UPDATE."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import LANGUAGE_CHOICES, Network, User
from amparo.cases.models import Case
from amparo.lib.crypto import EncryptedTextField, classify
from amparo.lib.labelled import Labelled
from amparo.people.models import Person


class HearingKind(models.TextChoices):
    MASTER = "master", _("Master calendar hearing")
    INDIVIDUAL = "individual", _("Individual (merits) hearing")
    BOND = "bond", _("Bond hearing")
    REVIEW = "review", _("Credible fear review")
    CRIMINAL = "criminal", _("Criminal court")
    OTHER = "other", _("Other hearing")


class Outcome(models.TextChoices):
    """Numbered in this order in the text that asks for the outcome (1 = a new date)."""

    CONTINUED = "continued", _("Continued to a new date")
    BOND_GRANTED = "bond_granted", _("Bond granted")
    BOND_DENIED = "bond_denied", _("Bond denied")
    RELIEF = "relief", _("Relief granted")
    REMOVAL = "removal", _("Removal ordered")
    TERMINATED = "terminated", _("Case terminated or dismissed")
    OTHER = "other", _("Other")


@classify(
    internal=[
        "case",
        "code",
        "kind",
        "starts_at",
        "wanted",
        "language",
        "outcome",
        "outcome_at",
        "outcome_by",
        "next_hearing",
        "created_by",
        "day_before_at",
        "hours_before_at",
        "escalated_at",
        "outcome_asked_at",
    ],
    personal=["family_phone"],
    sensitive=["court", "judge", "outcome_note"],
)
class Hearing(Labelled):
    data_key_owner = "case"

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="hearings")
    # Four digits the texts name ("CORTE 4821"), unique among the network's recent ones.
    code = models.CharField(max_length=4)
    kind = models.CharField(_("kind"), max_length=12, choices=HearingKind.choices)
    court = EncryptedTextField(_("court"))
    judge = EncryptedTextField(_("judge"), blank=True, default="")
    starts_at = models.DateTimeField(_("date and time"))
    wanted = models.PositiveSmallIntegerField(_("accompaniers wanted"), default=2)
    family_phone = EncryptedTextField(_("family's phone for reminders"), blank=True, default="")
    language = models.CharField(
        _("family's language"), max_length=8, choices=LANGUAGE_CHOICES, default="es"
    )
    outcome = models.CharField(_("outcome"), max_length=14, choices=Outcome.choices, blank=True)
    outcome_note = EncryptedTextField(blank=True, default="")
    outcome_at = models.DateTimeField(null=True, blank=True)
    outcome_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    next_hearing = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    day_before_at = models.DateTimeField(null=True, blank=True)
    hours_before_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    outcome_asked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["network", "starts_at"])]
        verbose_name = _("hearing")

    str_label = "hearing"


@classify(internal=["hearing", "person", "status", "via", "updated_at"])
class Accompaniment(Labelled):
    """A person asked to go with the family to a hearing, and their answer."""

    class Status(models.TextChoices):
        ASKED = "asked", _("asked")
        GOING = "going", _("going")
        DECLINED = "declined", _("cannot go")

    hearing = models.ForeignKey(Hearing, on_delete=models.CASCADE, related_name="accompaniments")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ASKED)
    via = models.CharField(max_length=8, default="web")  # web / text
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["hearing", "person"], name="accompaniment_once")
        ]
        verbose_name = _("accompaniment")

    str_label = "accompaniment"
