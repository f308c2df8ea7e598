"""The network's people: persons, their phones and areas, organizations, committees,
trainings, participation, saved segments, imports and sign-up confirmations.

Names, phones, emails and precise points are ``personal`` and sealed with the
person's own data key; notes and task text are ``sensitive``. Language, roles,
coarse areas (a town, an h3 cell at resolution 7, ~5 km²) and training dates stay
clear so that the dispatcher's filters run in the database.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import LANGUAGE_CHOICES, Network, User, localized
from amparo.lib.crypto import (
    BlindIndexField,
    EncryptedJSONField,
    EncryptedTextField,
    NameTokensField,
    OwnsDataKey,
    classify,
)
from amparo.lib.crypto.blind import normalize_email

#: h3 resolution of coverage cells: coarse enough to stay in clear (DESIGN.md).
COVERAGE_RESOLUTION = 7

CHANNELS = ["sms", "voice", "email", "telegram", "signal"]
CHANNEL_CHOICES = [
    ("sms", _("Text message")),
    ("voice", _("Phone call")),
    ("email", _("Email")),
    ("telegram", _("Telegram")),
    ("signal", _("Signal")),
]


def _labelled(texts: dict[str, str] | None, fallback: str) -> str:
    return localized(texts) or fallback


# --- roles, places ------------------------------------------------------------------


@classify(public=["id", "network", "slug", "name", "position", "required_trainings"])
class PersonRole(models.Model):
    """A role a person plays in the network (rapid responder, driver…), as data.

    ``required_trainings``: a person counts as available for this role only with a
    valid training of each listed type (the rule as data, editable per network).
    """

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="person_roles")
    slug = models.SlugField(max_length=40)
    name = models.JSONField(default=dict)
    position = models.PositiveSmallIntegerField(default=100)
    required_trainings: models.ManyToManyField[TrainingType, Any] = models.ManyToManyField(
        "TrainingType", blank=True, related_name="required_by"
    )

    class Meta:
        ordering = ["position", "slug"]
        constraints = [models.UniqueConstraint(fields=["network", "slug"], name="person_role_slug")]
        verbose_name = _("role")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return _labelled(self.name, self.slug)


@classify(
    public=["id", "network", "kind", "name", "name_folded", "postal_code", "h3_cell"],
    internal=["latitude", "longitude"],
)
class Place(models.Model):
    """A town or ZIP code people can cover: public geography, never a person's address."""

    class Kind(models.TextChoices):
        TOWN = "town", _("town")
        ZIP = "zip", _("ZIP code")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="places")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.TOWN)
    name = models.CharField(max_length=120)
    name_folded = models.CharField(max_length=120, db_index=True, editable=False)
    postal_code = models.CharField(max_length=10, blank=True)
    # The town's centroid: public geography (not where anyone lives).
    latitude = models.FloatField()
    longitude = models.FloatField()
    h3_cell = models.CharField(max_length=16, db_index=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["network", "kind", "name_folded"], name="place_unique")
        ]
        verbose_name = _("place")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        from amparo.lib.crypto.blind import fold

        self.name_folded = fold(self.name).strip()
        super().save(*args, **kwargs)


# --- persons ------------------------------------------------------------------------


class PersonQuerySet(models.QuerySet["Person"]):
    def active(self) -> PersonQuerySet:
        return self.exclude(status__in=[Person.Status.INACTIVE, Person.Status.REMOVED])


@classify(
    public=["id"],
    internal=[
        "network",
        "name_tokens",
        "email_index",
        "language",
        "languages_spoken",
        "roles",
        "skills",
        "weekly_availability",
        "available_now",
        "available_now_changed_at",
        "channel_order",
        "opted_out_channels",
        "quiet_start",
        "quiet_end",
        "consent_at",
        "consent_method",
        "consent_version",
        "opted_out_at",
        "status",
        "status_changed_at",
        "source",
        "user",
        "created_at",
        "updated_at",
        "wrapped_key",
    ],
    personal=["name", "email"],
    sensitive=["notes"],
)
class Person(OwnsDataKey):
    """Someone in the network: a member, a responder, a volunteer who just signed up."""

    class Status(models.TextChoices):
        SIGNED_UP = "signed_up", _("signed up")
        CONFIRMED = "confirmed", _("confirmed")
        ORIENTED = "oriented", _("oriented")
        TRAINED = "trained", _("trained")
        ACTIVE = "active", _("active")
        INACTIVE = "inactive", _("inactive")
        REMOVED = "removed", _("removed")

    PIPELINE = ["signed_up", "confirmed", "oriented", "trained", "active"]

    class Source(models.TextChoices):
        MANUAL = "manual", _("entered by hand")
        IMPORT = "import", _("imported")
        SIGNUP = "signup", _("public sign-up")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="people")
    name = EncryptedTextField(_("name"))
    name_tokens = NameTokensField(source="name")
    email = EncryptedTextField(_("email"), blank=True, default="")
    email_index = BlindIndexField(
        source="email", purpose="email", normalize=normalize_email, null=True, blank=True
    )
    language = models.CharField(
        _("preferred language"), max_length=8, choices=LANGUAGE_CHOICES, default="es"
    )
    # Every language spoken, the preferred one included, as " es en " (space-padded so a
    # `contains " en "` filter works the same on SQLite and PostgreSQL).
    languages_spoken = models.CharField(max_length=60, default="", blank=True)
    roles = models.ManyToManyField(PersonRole, blank=True, related_name="people")
    skills = models.JSONField(default=list, blank=True)
    # {"mon": [["18:00", "22:00"]], …} in the network's time zone
    weekly_availability = models.JSONField(default=dict, blank=True)
    available_now = models.BooleanField(_("available now"), default=False)
    available_now_changed_at = models.DateTimeField(null=True, blank=True)
    channel_order = models.JSONField(default=list, blank=True)  # preferred first
    opted_out_channels = models.CharField(max_length=60, default="", blank=True)  # " sms email "
    quiet_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    consent_at = models.DateTimeField(null=True, blank=True)
    consent_method = models.CharField(max_length=40, blank=True)
    consent_version = models.CharField(max_length=20, blank=True)
    opted_out_at = models.DateTimeField(null=True, blank=True)  # opted out of everything
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SIGNED_UP)
    status_changed_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    notes = EncryptedTextField(_("notes"), blank=True, default="")
    user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="person_records"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["network", "status"]),
            models.Index(fields=["network", "language"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "email_index"],
                condition=Q(email_index__isnull=False),
                name="person_unique_email",
            )
        ]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.name or _("person %(id)s") % {"id": self.pk}

    def speaks(self) -> list[str]:
        others = [c for c in self.languages_spoken.split() if c != self.language]
        return [self.language, *others]

    def set_languages(self, preferred: str, others: list[str] | tuple[str, ...] = ()) -> None:
        self.language = preferred
        spoken = [preferred, *[c for c in others if c and c != preferred]]
        self.languages_spoken = " " + " ".join(dict.fromkeys(spoken)) + " "

    def opted_out_of(self) -> list[str]:
        return self.opted_out_channels.split()

    def reachable_channels(self) -> list[str]:
        """Channels we may use for this person, preferred first; empty if opted out."""
        if self.opted_out_at:
            return []
        order = [c for c in self.channel_order if c in CHANNELS] or ["sms", "voice", "email"]
        return [c for c in order if c not in self.opted_out_of()]


@classify(
    public=["id"],
    internal=[
        "person",
        "number_index",
        "label",
        "is_primary",
        "sms_ok",
        "voice_ok",
        "dead_at",
        "created_at",
    ],
    personal=["number"],
)
class PersonPhone(models.Model):
    """One of a person's phone numbers, E.164, sealed with the person's data key."""

    data_key_owner = "person"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="phones")
    number = EncryptedTextField(_("phone number"))
    number_index = BlindIndexField(source="number", purpose="phone", db_index=True)
    label = models.CharField(max_length=20, blank=True)  # mobile, home, work
    is_primary = models.BooleanField(default=False)
    sms_ok = models.BooleanField(default=True)
    voice_ok = models.BooleanField(default=True)
    # A permanent provider error marks a number dead (DESIGN.md "Channels").
    dead_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "number_index"], name="phone_once_per_person")
        ]
        verbose_name = _("phone number")

    def __str__(self) -> str:
        return f"phone {self.pk}"


@classify(
    public=["id"],
    internal=["person", "place", "cell", "radius_km"],
    personal=["point"],
)
class PersonArea(models.Model):
    """An area a person can cover: a town or ZIP code, or a point they chose plus a radius.

    The point itself is sealed; only the coarse h3 cells it covers stay clear.
    """

    data_key_owner = "person"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="areas")
    place = models.ForeignKey(Place, on_delete=models.CASCADE, null=True, blank=True)
    point = EncryptedJSONField(null=True, blank=True)  # {"lat": …, "lng": …}
    cell = models.CharField(max_length=16, blank=True)  # coarse cell of the place/point
    radius_km = models.FloatField(default=5.0)

    class Meta:
        verbose_name = _("area covered")

    def __str__(self) -> str:
        return f"area {self.pk}"


@classify(internal=["id", "person", "cell", "network"])
class CoverageCell(models.Model):
    """Derived: every coarse h3 cell a person's areas cover, for 'who covers X' queries."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="coverage")
    cell = models.CharField(max_length=16)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "cell"], name="coverage_unique")]
        indexes = [models.Index(fields=["network", "cell"])]

    def __str__(self) -> str:
        return self.cell


# --- organizations ------------------------------------------------------------------


@classify(
    public=["id", "network", "kind", "name", "website"],
    internal=["phone", "address", "created_at"],
)
class Organization(models.Model):
    """A congregation, union, partner group, legal-service provider or public office."""

    class Kind(models.TextChoices):
        CONGREGATION = "congregation", _("congregation")
        UNION = "union", _("union")
        PARTNER = "partner", _("partner group")
        LEGAL = "legal", _("legal-service provider")
        OFFICE = "office", _("public office")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="organizations")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=160)
    # An organization's published contact details, not a person's.
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    website = models.URLField(_("website"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("organization")

    def __str__(self) -> str:
        return self.name


@classify(public=["id"], internal=["organization", "person", "role"])
class OrganizationMember(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="organizations")
    role = models.CharField(max_length=80, blank=True)  # pastor, steward, staff attorney…

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "person"], name="org_member_once")
        ]

    def __str__(self) -> str:
        return f"org member {self.pk}"


# --- committees ----------------------------------------------------------------------


@classify(public=["id", "network", "slug", "name", "description", "kind", "position"])
class Committee(models.Model):
    """The worker committee and the subcommittees (DOMAIN.md §1), as data."""

    class Kind(models.TextChoices):
        WORKER = "worker", _("worker committee")
        SUB = "sub", _("subcommittee")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="committees")
    slug = models.SlugField(max_length=40)
    name = models.JSONField(default=dict)
    description = models.JSONField(default=dict, blank=True)
    kind = models.CharField(max_length=6, choices=Kind.choices, default=Kind.SUB)
    position = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["position", "slug"]
        constraints = [models.UniqueConstraint(fields=["network", "slug"], name="committee_slug")]
        verbose_name = _("committee")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return _labelled(self.name, self.slug)


@classify(public=["id"], internal=["committee", "person", "is_chair", "joined_at"])
class CommitteeMember(models.Model):
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="committees")
    is_chair = models.BooleanField(default=False)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["committee", "person"], name="committee_member_once")
        ]

    def __str__(self) -> str:
        return f"committee member {self.pk}"


@classify(
    public=["id"],
    internal=["committee", "assignee", "due_date", "status", "created_at", "wrapped_key"],
    sensitive=["title"],
)
class Task(OwnsDataKey):
    """A committee task ("rides to court Tuesday"): its text can name people, so it is sealed."""

    class Status(models.TextChoices):
        TODO = "todo", _("to do")
        DOING = "doing", _("in progress")
        DONE = "done", _("done")

    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="tasks")
    title = EncryptedTextField(_("task"))
    assignee = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_tasks"
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.TODO)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["status", "due_date", "id"]
        verbose_name = _("task")

    def __str__(self) -> str:
        return f"task {self.pk}"


# --- trainings -----------------------------------------------------------------------


@classify(public=["id", "network", "slug", "name", "validity_days", "position"])
class TrainingType(models.Model):
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

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return _labelled(self.name, self.slug)

    def expires_on(self, completed_on: date) -> date | None:
        return completed_on + timedelta(days=self.validity_days) if self.validity_days else None


@classify(
    public=["id", "network", "training_type", "starts_at", "ends_at", "language", "capacity"],
    internal=["place", "link", "trainer", "created_at"],
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


@classify(public=["id"], internal=["session", "person", "status", "signed_up_at", "attended_at"])
class TrainingSignup(models.Model):
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

    def __str__(self) -> str:
        return f"training signup {self.pk}"


@classify(
    public=["id"],
    internal=["person", "training_type", "completed_on", "expires_on", "session"],
)
class PersonTraining(models.Model):
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

    def __str__(self) -> str:
        return f"training {self.pk}"


# --- participation -------------------------------------------------------------------


@classify(
    public=["id", "network", "kind", "starts_at"],
    internal=["title", "place", "committee", "created_at"],
)
class Activity(models.Model):
    """A meeting, event or action where attendance is taken."""

    class Kind(models.TextChoices):
        MEETING = "meeting", _("meeting")
        EVENT = "event", _("event")
        ACTION = "action", _("action")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.MEETING)
    title = models.CharField(_("title"), max_length=160)
    starts_at = models.DateTimeField(_("starts at"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    committee = models.ForeignKey(
        Committee, on_delete=models.SET_NULL, null=True, blank=True, related_name="activities"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")

    def __str__(self) -> str:
        return self.title


@classify(public=["id"], internal=["activity", "person", "checked_in_at", "checked_in_by"])
class Attendance(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="attendance")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="attendance")
    checked_in_at = models.DateTimeField(default=timezone.now)
    checked_in_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["activity", "person"], name="attendance_once")
        ]
        indexes = [models.Index(fields=["person", "checked_in_at"])]

    def __str__(self) -> str:
        return f"attendance {self.pk}"


# --- segments ------------------------------------------------------------------------


@classify(
    public=["id"],
    internal=["network", "name", "filters", "created_by", "created_at"],
)
class Segment(models.Model):
    """A saved filter ("Spanish-speaking rapid responders in Northampton")."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="segments")
    name = models.CharField(_("name"), max_length=120)
    filters = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("segment")

    def __str__(self) -> str:
        return self.name


# --- imports -------------------------------------------------------------------------


@classify(
    public=["id"],
    internal=[
        "network",
        "created_by",
        "filename",
        "file_sha256",
        "status",
        "row_count",
        "error_count",
        "created_count",
        "updated_count",
        "unchanged_count",
        "skipped_count",
        "created_at",
        "finished_at",
        "wrapped_key",
    ],
    sensitive=["payload"],
)
class ImportBatch(OwnsDataKey):
    """One uploaded spreadsheet: parsed, previewed, then imported (or abandoned).

    The parsed rows (names, phones) live sealed in ``payload`` only until the import
    finishes; then they are dropped, keeping counts.
    """

    class Status(models.TextChoices):
        PREVIEW = "preview", _("preview")
        IMPORTED = "imported", _("imported")
        FAILED = "failed", _("failed")
        ABANDONED = "abandoned", _("abandoned")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    filename = models.CharField(max_length=200, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    payload = EncryptedJSONField(null=True, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")

    def __str__(self) -> str:
        return f"import {self.pk}"


# --- public sign-up -----------------------------------------------------------------


@classify(
    public=["id"],
    internal=[
        "person",
        "channel",
        "token_hash",
        "sent_at",
        "confirmed_at",
        "expires_at",
        "attempts",
    ],
)
class SignupConfirmation(models.Model):
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

    def __str__(self) -> str:
        return f"confirmation {self.pk}"


@classify(internal=["id", "key_hash", "window_start", "count"])
class RateBucket(models.Model):
    """Anti-abuse counters keyed by a keyed hash (of a client address, a phone…), never
    the clear value; rows older than their window are deleted by the sweeper."""

    key_hash = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key_hash", "window_start"], name="rate_bucket_once")
        ]

    def __str__(self) -> str:
        return f"rate bucket {self.pk}"


@classify(internal=["id", "challenge_hash", "used_at"])
class SpentChallenge(models.Model):
    """Proof-of-work challenges already used, so one solution cannot be replayed."""

    challenge_hash = models.CharField(max_length=64, unique=True)
    used_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"spent challenge {self.pk}"


# --- exports (two-person rule) -----------------------------------------------------


@classify(
    public=["id"],
    internal=[
        "network",
        "requested_by",
        "kind",
        "filters",
        "options",
        "segment",
        "count",
        "status",
        "created_at",
        "expires_at",
        "decided_by",
        "decided_at",
        "downloaded_at",
        "rows",
    ],
)
class ExportRequest(models.Model):
    """A bulk export of people (a spreadsheet or the phone tree) waiting for, or given,
    a second person's approval; downloaded once by the person who asked
    (amparo/people/export_requests.py).

    ``filters`` is a PeopleFilter without a name (a typed name is refused before this
    is saved), so it holds roles, languages, towns and such: no personal data.
    ``options`` holds the phone tree's ``per_caller`` and ``output`` ("page" or "pdf").
    """

    class Kind(models.TextChoices):
        CSV = "csv", _("CSV file (.csv)")
        XLSX = "xlsx", _("Excel workbook (.xlsx)")
        PHONE_TREE = "phone_tree", _("phone tree")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for approval")
        APPROVED = "approved", _("approved")
        REFUSED = "refused", _("refused")
        DOWNLOADED = "downloaded", _("downloaded")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    filters = models.JSONField(default=dict, blank=True)
    options = models.JSONField(default=dict, blank=True)
    segment = models.ForeignKey(
        Segment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    count = models.PositiveIntegerField(default=0)  # people when it was requested
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Pending: until a decision is due; approved: until the download is due.
    expires_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveIntegerField(null=True, blank=True)  # people in the file

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["network", "status", "expires_at"])]
        verbose_name = _("export request")

    def __str__(self) -> str:
        return f"export request {self.pk}"

    def is_expired(self, now: Any = None) -> bool:
        return self.expires_at <= (now or timezone.now())
