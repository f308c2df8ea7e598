"""Alerts and dispatch: who is asked to go, on which channel, who answered, what escalates.

An alert's outbox is ``channels.Delivery``: one row per (recipient, channel), written with
the alert and sent strictly in tier order. Escalation steps are rows with a due time.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from amparo.accounts.audit import audit_record
from amparo.accounts.models import LANGUAGE_CHOICES, AuditEvent, Network, User
from amparo.lib.crypto import EncryptedJSONField, OwnsDataKey, classify
from amparo.lib.labelled import Labelled
from amparo.people.models import Person


@classify(
    public=["network", "kind", "name", "address", "latitude", "longitude", "phone", "notes"],
    internal=["is_active"],
)
class Facility(models.Model):
    """An ICE holding facility or field office (public information; the demo's are fictional)."""

    class Kind(models.TextChoices):
        HOLDING = "holding", _("ICE holding facility")
        FIELD_OFFICE = "field_office", _("ICE field office")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="facilities")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.HOLDING)
    name = models.CharField(_("name"), max_length=160)
    address = models.CharField(_("address"), max_length=240, blank=True)
    latitude = models.FloatField()
    longitude = models.FloatField()
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    notes = models.CharField(_("notes"), max_length=240, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")

    def __str__(self) -> str:
        return self.name


class AlertKind(models.TextChoices):
    VERIFICATION = "verification", _("verification request")
    SQUAD = "squad", _("squad call-out")
    LEGAL = "legal", _("legal-team call-out")
    MEMBERS = "members", _("member alert")
    DRILL = "drill", _("drill")


@classify(public=["network", "kind", "steps", "updated_at"])
class EscalationPolicy(models.Model):
    """What happens when too few answer, as data per alert kind, e.g.
    ``[{"after_minutes": 10, "need": 6, "action": "widen", "radius_km": 15},
       {"after_minutes": 15, "need": 6, "action": "voice", "tier": 2},
       {"after_minutes": 20, "need": 6, "action": "page_coordinators"}]``."""

    network = models.ForeignKey(
        Network, on_delete=models.CASCADE, related_name="escalation_policies"
    )
    kind = models.CharField(max_length=12, choices=AlertKind.choices)
    steps = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "kind"], name="one_policy_per_kind")
        ]
        verbose_name = _("escalation policy")
        verbose_name_plural = _("escalation policies")

    def __str__(self) -> str:
        return f"policy {self.kind}"


@classify(
    internal=[
        "incident",
        "kind",
        "status",
        "is_drill",
        "target_going",
        "radius_km",
        "facility",
        "created_by",
        "approved_by",
        "approved_at",
        "launched_at",
        "expires_at",
        "finished_at",
    ],
    sensitive=["templates"],
)
class Alert(OwnsDataKey):
    """One call-out. ``templates`` holds the message per language (it names the place)."""

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("alert", "draft")
        AWAITING_APPROVAL = "approval", pgettext_lazy("alert", "waiting for a second approver")
        SENDING = "sending", pgettext_lazy("alert", "sending")
        DONE = "done", pgettext_lazy("alert", "done")
        CANCELLED = "cancelled", pgettext_lazy("alert", "cancelled")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="alerts")
    incident = models.ForeignKey(
        "reports.Incident", on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    kind = models.CharField(max_length=12, choices=AlertKind.choices)
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.DRAFT)
    is_drill = models.BooleanField(default=False)
    target_going = models.PositiveSmallIntegerField(default=6)
    radius_km = models.FloatField(default=8.0)
    facility = models.ForeignKey(
        Facility, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    templates = EncryptedJSONField(default=dict)  # {"es": "...", "en": "..."}
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    approved_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    launched_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["network", "status"])]
        verbose_name = _("alert")

    str_label = "alert"


@classify(
    internal=[
        "alert",
        "person",
        "tier",
        "language",
        "status",
        "eta_minutes",
        "answered_at",
        "answered_via",
        "arrived_at",
        "token_hash",
        "code",
        "distance_km",
    ]
)
class AlertRecipient(Labelled):
    """One person asked by one alert: one acknowledgement, whatever channel they answer on."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("recipient", "not answered")
        GOING = "going", pgettext_lazy("recipient", "going")
        NOT_GOING = "not_going", pgettext_lazy("recipient", "not going")
        ARRIVED = "arrived", pgettext_lazy("recipient", "arrived")

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="recipients")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="alert_receipts")
    tier = models.PositiveSmallIntegerField(default=1)
    language = models.CharField(max_length=8, choices=LANGUAGE_CHOICES, default="es")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    eta_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_via = models.CharField(max_length=20, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    token_hash = models.CharField(max_length=64, db_index=True, blank=True)  # magic link
    code = models.CharField(max_length=8, blank=True)
    distance_km = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["tier", "distance_km", "id"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "person"], name="alert_recipient_once")
        ]
        indexes = [models.Index(fields=["alert", "status"])]
        verbose_name = _("alert recipient")
        verbose_name_plural = _("alert recipients")

    str_label = "recipient"


@classify(
    internal=[
        "alert",
        "position",
        "action",
        "params",
        "due_at",
        "claimed_at",
        "done_at",
        "result",
        "outcome",
    ]
)
class EscalationStep(Labelled):
    """A step of the alert's policy, due at a time: the database is the schedule, so a
    restart loses nothing; workers claim it with a conditional UPDATE."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="escalation_steps")
    position = models.PositiveSmallIntegerField()
    action = models.CharField(max_length=20)  # widen, voice, tier, page_coordinators
    params = models.JSONField(default=dict)
    due_at = models.DateTimeField(db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=60, blank=True)  # codes and counts only
    # What it did, as data the board puts in words (escalation_words.py): a code and
    # counts ({"code": "asked", "n": 4, "km": 15, …}), never personal data.
    outcome = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["due_at", "position"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "position"], name="escalation_step_once")
        ]
        indexes = [
            models.Index(fields=["due_at"], name="escalation_due", condition=Q(done_at=None))
        ]
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")

    str_label = "escalation step"


def alert_audit(alert: Alert, actor: User | None, field: str, note: str) -> None:
    """An audited change of ``field`` of an alert."""
    audit_record(action=AuditEvent.Action.UPDATE, actor=actor, obj=alert, fields=[field], note=note)
