"""Raid reports, incidents, verification and clusters (DOMAIN.md §2: verify before you alert).

What a report says, where exactly, the reporter's number and photos are sealed;
only a coarse h3 cell (resolution 7, ~5 km²) and times stay clear, for merging
reports into incidents and spotting clusters in the database.
"""

from __future__ import annotations

from django.db import models
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
from amparo.people.models import Person, Place


class Source(models.TextChoices):
    WEB = "web", _("public form")
    SMS = "sms", _("text message")
    HOTLINE = "hotline", _("hotline")
    RESPONDER = "responder", _("responder")


class IncidentStatus(models.TextChoices):
    """Changed only through amparo.reports.services (see TRANSITIONS there)."""

    UNVERIFIED = "unverified", pgettext_lazy("incident", "unverified")
    VERIFYING = "verifying", pgettext_lazy("incident", "being verified")
    CONFIRMED = "confirmed", pgettext_lazy("incident", "confirmed")
    FALSE_ALARM = "false_alarm", pgettext_lazy("incident", "false alarm")
    UNCONFIRMED = "unconfirmed", pgettext_lazy("incident", "could not be confirmed")
    RESPONDING = "responding", pgettext_lazy("incident", "responding")
    CLOSED = "closed", pgettext_lazy("incident", "closed")


@classify(public=["network", "day", "created_at"], internal=["kind"])
class Cluster(Labelled):
    """Confirmed incidents at different workplaces close in place and time (DOMAIN.md §3)."""

    class Kind(models.TextChoices):
        DAY = "day", _("same day")
        WEEK = "week", _("same week")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="clusters")
    kind = models.CharField(max_length=4, choices=Kind.choices, default=Kind.DAY)
    day = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day", "-id"]
        verbose_name = _("cluster")

    str_label = "cluster"


@classify(
    public=["public_note", "public_note_at"],
    internal=[
        "status",
        "cell",
        "place",
        "first_report_at",
        "last_report_at",
        "report_count",
        "source_count",
        "strong_sources",
        "known_reports",
        "confirmed_at",
        "confirmed_by",
        "status_changed_at",
        "cluster",
    ],
    personal=["meeting_point", "meeting_point_point"],
    sensitive=["summary", "point"],
)
class Incident(OwnsDataKey):
    """One event that one or more reports describe. Its status moves only through
    the services, and no alert beyond verifiers may go out until a verifier who is
    not one of its reporters confirmed it."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="incidents")
    status = models.CharField(
        max_length=12, choices=IncidentStatus.choices, default=IncidentStatus.UNVERIFIED
    )
    summary = EncryptedTextField(blank=True, default="")
    point = EncryptedJSONField(null=True, blank=True)  # {"lat": …, "lng": …}
    cell = models.CharField(max_length=16, blank=True, db_index=True)
    place = models.ForeignKey(Place, on_delete=models.SET_NULL, null=True, blank=True)
    first_report_at = models.DateTimeField(default=timezone.now)
    last_report_at = models.DateTimeField(default=timezone.now)
    report_count = models.PositiveIntegerField(default=0)
    source_count = models.PositiveIntegerField(default=0)  # independent sources
    # Sources a stranger cannot mint for free (services._strong_key): each known reporter
    # and each texting number once, every post of the public form together once. Two or
    # more: corroborated, on top of the console.
    strong_sources = models.PositiveIntegerField(default=0)
    # Reports from known people (Report.known): any keeps the incident on top.
    known_reports = models.PositiveIntegerField(default=0)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    # A short public note (e.g. "not confirmed at 14:10") the hotline can read out.
    public_note = models.CharField(max_length=200, blank=True)
    public_note_at = models.DateTimeField(null=True, blank=True)
    cluster = models.ForeignKey(
        Cluster, on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents"
    )
    # Where responders meet, set or corrected by a dispatcher (a short text and, if
    # known, a point): shown only on the link pages, never in a text.
    meeting_point = EncryptedTextField(null=True, blank=True)  # None: not set
    meeting_point_point = EncryptedJSONField(null=True, blank=True)  # {"lat": …, "lng": …}
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_report_at"]
        indexes = [
            models.Index(fields=["network", "status", "last_report_at"]),
            models.Index(fields=["network", "cell", "last_report_at"]),
        ]
        verbose_name = _("incident")

    str_label = "incident"


@classify(
    internal=[
        "source",
        "language",
        "incident",
        "cell",
        "place",
        "reporter_index",
        "reporter_person",
        "reporter_user",
        "seen_at",
        "received_at",
        "low_trust",
        "known",
        "source_tag",
        "contact_purge_after",
        "inbound",
        "intake",
    ],
    personal=["reporter_phone", "point"],
    sensitive=["details"],
)
class Report(OwnsDataKey):
    """Someone says ICE is here. Not yet a raid: it joins an incident and waits for a verifier.

    ``details`` holds SALUTE (size, activity, location text/workplace, uniform or
    agency, time, equipment) and free text. The reporter's number is kept only if
    given, for a callback and to count sources, and is purged after the retention
    period (``contact_purge_after``). No IP address or user agent is ever stored.
    """

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="reports")
    source = models.CharField(max_length=10, choices=Source.choices)
    language = models.CharField(max_length=8, choices=LANGUAGE_CHOICES, default="es")
    details = EncryptedJSONField(default=dict)
    point = EncryptedJSONField(null=True, blank=True)
    cell = models.CharField(max_length=16, blank=True)
    place = models.ForeignKey(Place, on_delete=models.SET_NULL, null=True, blank=True)
    incident = models.ForeignKey(
        Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )
    reporter_phone = EncryptedTextField(blank=True, default="")
    reporter_index = BlindIndexField(
        source="reporter_phone", purpose="phone", null=True, blank=True
    )
    reporter_person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reporter_user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A form sent without the proof of work: kept, but placed after the others.
    low_trust = models.BooleanField(default=False)
    # From someone known (a member's number, the hotline, a signed-in responder, a
    # number that reported truly before): never folded away, never capped.
    known = models.BooleanField(default=False)
    # A keyed hash of where a stranger's report came from (client address or texting
    # number) and the window it came in, to bound one source's rows; cleared by the
    # retention purge a day later, so no report stays linked to an address.
    source_tag = models.CharField(max_length=32, null=True, blank=True)  # noqa: DJ001 (purge clears to NULL)
    received_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(null=True, blank=True)
    contact_purge_after = models.DateTimeField(null=True, blank=True)
    inbound = models.ForeignKey(
        "channels.InboundMessage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    intake = models.ForeignKey(
        "hotline.Intake", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["network", "received_at"]),
            models.Index(fields=["network", "cell", "received_at"]),
            models.Index(fields=["incident", "received_at"]),
            models.Index(fields=["source_tag", "received_at"]),
        ]
        verbose_name = _("report")

    #: Not a field: set by report_submit when a later report of the same source was
    #: added to this one (the added part's number, 0 if only counted).
    appended_part: int | None = None

    str_label = "report"


@classify(internal=["key_hash", "first_true_at", "last_true_at"])
class KnownReporter(Labelled):
    """A number that reported an incident a verifier confirmed: only a keyed hash of it
    (HMAC with the index key, per network), forgotten ``REPORTER_TRUST_DAYS`` after its
    last true report (the retention purge). Its later texts count as known."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    key_hash = models.CharField(max_length=64)
    first_true_at = models.DateTimeField(default=timezone.now)
    last_true_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "key_hash"], name="known_reporter_once")
        ]
        verbose_name = _("known reporter")

    str_label = "known reporter"


@classify(internal=["report", "content_type", "size"], sensitive=["data"])
class ReportPhoto(Labelled):
    """A photo sent with a report: re-encoded without EXIF/GPS, size-limited, sealed."""

    data_key_owner = "report"

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="photos")
    data = EncryptedTextField()  # base64 of the cleaned image
    content_type = models.CharField(max_length=40, default="image/jpeg")
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("report photo")
        verbose_name_plural = _("report photos")

    str_label = "report photo"


@classify(
    internal=[
        "incident",
        "verifier",
        "token_hash",
        "code",
        "sent_at",
        "answered_at",
        "answer",
        "expires_at",
    ],
    sensitive=["note", "photo"],
)
class VerificationRequest(OwnsDataKey):
    """A verifier is asked to go or call and say what they found."""

    class Answer(models.TextChoices):
        CONFIRMED = "confirmed", pgettext_lazy("verification", "confirmed")
        NOT_CONFIRMED = "not_confirmed", pgettext_lazy("verification", "not a raid")
        UNSURE = "unsure", pgettext_lazy("verification", "could not tell")

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="verification_requests"
    )
    verifier = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, db_index=True)  # the magic link's, hashed
    code = models.CharField(max_length=8, db_index=True)  # to answer by SMS
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(max_length=14, choices=Answer.choices, blank=True)
    note = EncryptedTextField(blank=True, default="")
    photo = EncryptedTextField(null=True, blank=True)  # base64, cleaned like report photos

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "verifier"], name="verify_once_each")
        ]
        verbose_name = _("verification request")

    str_label = "verification"


@classify(
    internal=["incident", "at", "kind", "from_status", "to_status", "actor", "person", "note"]
)
class IncidentEvent(Labelled):
    """The incident's timeline: every status change and merge, by whom (no content)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=20)  # status, merge, split, report, verify_request
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=120, blank=True)  # codes and counts only

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("incident event")
        verbose_name_plural = _("incident events")

    str_label = "incident event"
