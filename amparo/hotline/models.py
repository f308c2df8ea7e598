"""The 24-hour hotline: shifts, calls, voicemail, text conversations, intake, callbacks.

Callers' numbers and everything they say are sealed (``personal`` / ``sensitive``);
the call log keeps only what the hotline needs: when, which language, who answered,
the outcome.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from amparo.accounts.models import LANGUAGE_CHOICES, Network, User
from amparo.lib.crypto import (
    BlindIndexField,
    EncryptedJSONField,
    EncryptedTextField,
    OwnsDataKey,
    classify,
)
from amparo.lib.labelled import Labelled
from amparo.people.models import Organization, Person

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class ShiftRole(models.TextChoices):
    PRIMARY = "primary", _("on shift")
    BACKUP = "backup", _("backup")


# --- shifts ---------------------------------------------------------------------------


@classify(internal=["name", "weekday", "start_time", "end_time", "languages_required", "is_active"])
class ShiftRotation(models.Model):
    """A weekly slot ("Mondays 18:00–24:00, needs Spanish", local time); end ≤ start: next day."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="rotations")
    name = models.CharField(_("name"), max_length=80, blank=True)
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=WEEKDAYS)
    start_time = models.TimeField(_("starts"))
    end_time = models.TimeField(_("ends"))
    # The languages someone on this shift must speak, as data: ["es"], ["es", "en"].
    languages_required = models.JSONField(_("languages required"), default=list, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["weekday", "start_time"]
        verbose_name = _("rotation")

    def __str__(self) -> str:
        return self.name or f"rotation {self.pk}"


@classify(internal=["rotation", "person", "role"])
class RotationMember(Labelled):
    rotation = models.ForeignKey(ShiftRotation, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="rotations")
    role = models.CharField(max_length=8, choices=ShiftRole.choices, default=ShiftRole.PRIMARY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rotation", "person"], name="rotation_member_once")
        ]
        verbose_name = _("rotation member")
        verbose_name_plural = _("rotation members")

    str_label = "rotation member"


@classify(internal=["rotation", "starts_at", "ends_at", "languages_required"])
class Shift(Labelled):
    """One concrete shift (generated from a rotation, or added by hand)."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="shifts")
    rotation = models.ForeignKey(
        ShiftRotation, on_delete=models.SET_NULL, null=True, blank=True, related_name="shifts"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    languages_required = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["network", "starts_at", "ends_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["rotation", "starts_at"],
                condition=Q(rotation__isnull=False),
                name="shift_once_per_rotation_start",
            )
        ]
        verbose_name = _("shift")

    str_label = "shift"


@classify(internal=["shift", "person", "role", "reminded_at"])
class ShiftAssignment(Labelled):
    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="assignments")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="shift_assignments")
    role = models.CharField(max_length=8, choices=ShiftRole.choices, default=ShiftRole.PRIMARY)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shift", "person"], name="shift_assignment_once")
        ]
        indexes = [models.Index(fields=["person", "shift"])]
        verbose_name = _("shift assignment")
        verbose_name_plural = _("shift assignments")

    str_label = "assignment"


@classify(internal=["assignment", "requested_by", "status", "code", "taken_by", "resolved_at"])
class SwapRequest(Labelled):
    """A responder asks someone to cover their shift; taken on the web or by SMS ("TAKE 4821")."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("swap request", "open")
        TAKEN = "taken", pgettext_lazy("swap request", "taken")
        CANCELLED = "cancelled", pgettext_lazy("swap request", "cancelled")

    assignment = models.ForeignKey(
        ShiftAssignment, on_delete=models.CASCADE, related_name="swap_requests"
    )
    requested_by = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    code = models.CharField(max_length=8, db_index=True)  # short code to reply with by SMS
    taken_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("swap request")

    str_label = "swap"


# --- calls ------------------------------------------------------------------------------


class CallStatus(models.TextChoices):
    """Forward-only: a callback can never move a call back to an earlier status."""

    RINGING = "ringing", pgettext_lazy("call status", "ringing")
    BACKUP = "backup", pgettext_lazy("call status", "ringing the backup group")
    ANSWERED = "answered", pgettext_lazy("call status", "answered")
    VOICEMAIL = "voicemail", pgettext_lazy("call status", "voicemail")
    COMPLETED = "completed", pgettext_lazy("call status", "completed")
    MISSED = "missed", pgettext_lazy("call status", "missed")
    FAILED = "failed", pgettext_lazy("call status", "failed")


CALL_STATUS_ORDER: dict[str, int] = {
    "ringing": 0,
    "backup": 1,
    "answered": 2,
    "voicemail": 2,
    "completed": 3,
    "missed": 3,
    "failed": 3,
}


@classify(
    internal=[
        "provider",
        "provider_sid",
        "from_index",
        "language",
        "status",
        "started_at",
        "answered_at",
        "ended_at",
        "answered_by",
        "duration_seconds",
        "recording_sid",
        "recording_status",
        "recording_attempts",
        "recording_duration",
        "recording_error",
        "callback_done_at",
        "callback_done_by",
    ],
    personal=["from_number"],
    sensitive=["recording"],
)
class Call(OwnsDataKey):
    """One call to the hotline. The caller's number and any voicemail are sealed."""

    class Recording(models.TextChoices):
        NONE = "none", _("no voicemail")
        PENDING = "pending", _("waiting to be fetched")
        STORED = "stored", _("stored")
        FAILED = "failed", _("could not be fetched")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="calls")
    provider = models.CharField(max_length=12, default="twilio")  # "twilio" | "sandbox"
    provider_sid = models.CharField(max_length=64)
    from_number = EncryptedTextField(blank=True, default="")
    from_index = BlindIndexField(source="from_number", purpose="phone", null=True, blank=True)
    language = models.CharField(max_length=8, choices=LANGUAGE_CHOICES, blank=True)
    status = models.CharField(max_length=10, choices=CallStatus.choices, default=CallStatus.RINGING)
    started_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    # Voicemail: downloaded from the provider, sealed here, then deleted there.
    recording_sid = models.CharField(max_length=64, blank=True)
    recording = EncryptedTextField(null=True, blank=True)  # base64 audio
    recording_status = models.CharField(
        max_length=8, choices=Recording.choices, default=Recording.NONE
    )
    recording_attempts = models.PositiveSmallIntegerField(default=0)
    recording_duration = models.PositiveIntegerField(null=True, blank=True)
    recording_error = models.CharField(max_length=200, blank=True)
    callback_done_at = models.DateTimeField(null=True, blank=True)
    callback_done_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_sid"], name="call_provider_sid")
        ]
        indexes = [models.Index(fields=["network", "started_at"])]
        verbose_name = _("call")

    str_label = "call"


@classify(internal=["call", "person", "provider_sid", "status"])
class CallLeg(Labelled):
    """One responder's phone rung for a call (simultaneous ring)."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="legs")
    person = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, related_name="+")
    provider_sid = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=20, default="ringing")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("call leg")
        verbose_name_plural = _("call legs")

    str_label = "call leg"


# --- text conversations ---------------------------------------------------------------------


@classify(
    internal=[
        "number_index",
        "language",
        "status",
        "started_at",
        "last_at",
        "assigned_to",
        "acknowledged_at",
    ],
    personal=["number"],
)
class Conversation(OwnsDataKey):
    """A text to the hotline that no keyword handles: on-shift responders answer from the web."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="conversations")
    number = EncryptedTextField()
    number_index = BlindIndexField(source="number", purpose="phone")
    language = models.CharField(max_length=8, choices=LANGUAGE_CHOICES, default="es")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    started_at = models.DateTimeField(default=timezone.now)
    last_at = models.DateTimeField(default=timezone.now)
    assigned_to = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # When the person last got the automatic reply (a responder will write back…).
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_at"]
        indexes = [
            models.Index(fields=["network", "number_index", "status"]),
            # the automatic replies of the last hour (HOTLINE_TEXT_ACK_MAX_PER_HOUR)
            models.Index(fields=["network", "acknowledged_at"]),
        ]
        verbose_name = _("conversation")

    str_label = "conversation"


@classify(
    internal=["conversation", "direction", "author", "inbound", "delivery", "at"],
    sensitive=["body"],
)
class ConversationMessage(Labelled):
    data_key_owner = "conversation"

    class Direction(models.TextChoices):
        IN = "in", _("from the caller")
        OUT = "out", _("from the hotline")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    body = EncryptedTextField()
    author = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    inbound = models.ForeignKey(
        "channels.InboundMessage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    delivery = models.ForeignKey(
        "channels.Delivery", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("conversation message")
        verbose_name_plural = _("conversation messages")

    str_label = "conversation message"


# --- intake ---------------------------------------------------------------------------------


class Situation(models.TextChoices):
    RAID_NOW = "raid_now", _("A raid is happening now")
    DETAINED = "detained", _("A family member was detained")
    AGENTS_HOME = "agents_home", _("Agents are at a home")
    WORKPLACE_ABUSE = "workplace_abuse", _("Workplace abuse (wage theft, harassment, retaliation)")
    HATE_CRIME = "hate_crime", _("A hate crime")
    AUDIT = "audit", _("An I-9 audit or a no-match letter")
    QUESTION = "question", _("A general question")


class Outcome(models.TextChoices):
    RAID_REPORT = "raid_report", _("Raid report")
    REFERRAL = "referral", _("Referral to a service")
    CALLBACK = "callback", _("Call back later")
    ACTIVATE = "activate", _("Activate the response team")
    NONE = "none", _("Nothing further")


@classify(
    internal=[
        "call",
        "conversation",
        "responder",
        "situation",
        "language",
        "outcome",
        "referral",
        "started_at",
        "finished_at",
    ],
    sensitive=["answers"],
)
class Intake(OwnsDataKey):
    """What a responder recorded while guiding a caller: only what the outcome needs."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="intakes")
    call = models.ForeignKey(
        Call, on_delete=models.SET_NULL, null=True, blank=True, related_name="intakes"
    )
    conversation = models.ForeignKey(
        Conversation, on_delete=models.SET_NULL, null=True, blank=True, related_name="intakes"
    )
    responder = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    situation = models.CharField(max_length=20, choices=Situation.choices)
    language = models.CharField(max_length=8, choices=LANGUAGE_CHOICES, default="es")
    answers = EncryptedJSONField(default=dict)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    referral = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    REQUIRED_FOR_OUTCOME: ClassVar[dict[str, list[str]]] = {
        "raid_report": ["where"],
        "activate": ["where"],
        "callback": ["callback_number"],
    }

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("intake")

    str_label = "intake"


@classify(
    internal=["call", "conversation", "intake", "due_at", "assigned_to", "done_at", "done_by"],
    sensitive=["note"],
)
class Callback(OwnsDataKey):
    """Someone must call a person back (a voicemail, an intake's outcome)."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="callbacks")
    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, null=True, blank=True, related_name="callbacks"
    )
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, null=True, blank=True, related_name="callbacks"
    )
    intake = models.ForeignKey(
        Intake, on_delete=models.CASCADE, null=True, blank=True, related_name="callbacks"
    )
    note = EncryptedTextField(blank=True, default="")
    due_at = models.DateTimeField(default=timezone.now)
    assigned_to = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["due_at"]
        verbose_name = _("callback")

    str_label = "callback"
