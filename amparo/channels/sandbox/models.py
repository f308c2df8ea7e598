"""The sandbox phone: every message Amparo "sent", by number, and the replies typed back."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import Network
from amparo.channels.models import Delivery, InboundMessage
from amparo.lib.crypto import BlindIndexField, EncryptedTextField, OwnsDataKey, classify
from amparo.lib.labelled import Labelled


@classify(
    public=["id"],
    internal=["network", "number_index", "last_at", "wrapped_key"],
    personal=["number"],
)
class SandboxThread(OwnsDataKey):
    """One pretend phone: the conversation between Amparo and one number."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    number = EncryptedTextField()
    number_index = BlindIndexField(source="number", purpose="address")
    last_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "number_index"], name="sandbox_one_thread_per_number"
            )
        ]
        verbose_name = _("sandbox conversation")

    str_label = "sandbox thread"


@classify(
    public=["id"],
    internal=["thread", "direction", "delivery", "inbound", "created_at"],
    sensitive=["body"],
)
class SandboxMessage(Labelled):
    class Direction(models.TextChoices):
        OUT = "out", "out"  # Amparo -> the phone
        IN = "in", "in"  # the phone -> Amparo

    data_key_owner = "thread"

    thread = models.ForeignKey(SandboxThread, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    body = EncryptedTextField()
    delivery = models.ForeignKey(
        Delivery, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    inbound = models.ForeignKey(
        InboundMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("sandbox message")

    str_label = "sandbox message"
