"""The outbox (Delivery) and the inbox (InboundMessage) shared by every channel."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import Network
from amparo.lib.crypto import BlindIndexField, EncryptedTextField, OwnsDataKey, classify
from amparo.lib.labelled import Labelled


@classify(
    public=["id"],
    internal=[
        "network",
        "channel",
        "purpose",
        "to_index",
        "language",
        "status",
        "attempts",
        "max_attempts",
        "due_at",
        "claimed_at",
        "sent_at",
        "expires_at",
        "provider_ref",
        "error",
        "created_at",
        "wrapped_key",
        "alert",
        "recipient",
        "person",
        "tier",
        "sender",
        "channel_rank",
        "priority",
    ],
    personal=["to_address"],
    sensitive=["body"],
)
class Delivery(OwnsDataKey):
    """One message to one address on one channel, saved before anything is sent. The row
    is the schedule: claimed by a conditional UPDATE, so any number of workers can run."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")
        EXPIRED = "expired", _("expired")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=30)
    purpose = models.CharField(max_length=40, default="message")
    to_address = EncryptedTextField()
    to_index = BlindIndexField(source="to_address", purpose="address")
    body = EncryptedTextField()
    language = models.CharField(max_length=8, default="en")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=4)
    due_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    provider_ref = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # For alerts: who, which tier (sent in tier order per sender and priority), which of
    # the person's channels this is (0 = first choice; failover moves to the next).
    alert = models.ForeignKey(
        "alerts.Alert", on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    recipient = models.ForeignKey(
        "alerts.AlertRecipient",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    tier = models.PositiveSmallIntegerField(default=0)
    sender = models.CharField(max_length=40, blank=True)  # pacing bucket: transport + from
    channel_rank = models.PositiveSmallIntegerField(default=0)
    # Claimed first on its sender when lower: live work before bulk (OUTBOX_PRIORITIES).
    priority = models.PositiveSmallIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "channel"],
                condition=Q(recipient__isnull=False),
                name="delivery_once_per_recipient_channel",
            )
        ]
        indexes = [
            models.Index(fields=["due_at"], name="delivery_due", condition=Q(status="queued")),
            models.Index(fields=["channel", "provider_ref"], name="delivery_provider_ref"),
            models.Index(  # the claim order per sender
                fields=["sender", "priority", "tier", "due_at"],
                name="delivery_sender_next",
                condition=Q(status="queued"),
            ),
            # the pacer looks up each sender's latest send
            models.Index(fields=["sender", "claimed_at"], name="delivery_sender_claimed"),
        ]
        verbose_name = _("message sent")

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.status})"


@classify(
    public=["id"],
    internal=[
        "network",
        "channel",
        "from_index",
        "provider_ref",
        "received_at",
        "handled_by",
        "handled_at",
        "wrapped_key",
    ],
    personal=["from_address"],
    sensitive=["body"],
)
class InboundMessage(OwnsDataKey):
    """A message someone sent us. The row is the queue: pending until ``handled_at`` is
    set (``channels.services.inbound_handle``); the sweeper finds it again."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=30)
    from_address = EncryptedTextField()
    from_index = BlindIndexField(source="from_address", purpose="address")
    body = EncryptedTextField()
    provider_ref = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    handled_by = models.CharField(max_length=100, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "provider_ref"],
                condition=~Q(provider_ref=""),
                name="inbound_unique_provider_ref",
            )
        ]
        indexes = [
            models.Index(
                fields=["received_at"], name="inbound_pending", condition=Q(handled_at__isnull=True)
            )
        ]
        verbose_name = _("message received")

    str_label = "inbound"


@classify(
    public=["id"],
    internal=[
        "network",
        "channel",
        "kind",
        "provider_ref",
        "direction",
        "due_at",
        "claimed_at",
        "attempts",
        "deleted_at",
        "error",
        "created_at",
    ],
)
class ProviderDeletion(Labelled):
    """A text or call Twilio holds, to delete once final; a failure moves ``due_at`` on."""

    class Direction(models.TextChoices):
        OUTBOUND = "out", _("sent")
        INBOUND = "in", _("received")

    class Kind(models.TextChoices):
        MESSAGE = "message", _("text message")
        CALL = "call", _("phone call")

    network = models.ForeignKey(
        Network, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=30)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.MESSAGE)
    provider_ref = models.CharField(max_length=100)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    due_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    deleted_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "provider_ref"], name="provider_deletion_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="provider_deletion_due",
                condition=Q(deleted_at__isnull=True),
            )
        ]
        verbose_name = _("copy deleted at the provider")

    str_label = "provider deletion"
