"""Lists of people, in and out: saved segments, imported spreadsheets, and exports
waiting for their second person."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from amparo.accounts.models import Network, User
from amparo.lib.crypto import EncryptedJSONField, EncryptedTextField, OwnsDataKey, classify
from amparo.lib.crypto.fields import WrappedKeyColumn

# --- segments ------------------------------------------------------------------------


@classify(internal=["name", "filters", "created_by"])
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
    internal=[
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
        "finished_at",
        "skip_errors",
        "cursor",
        "done_count",
        "started_at",
        "heartbeat_at",
    ],
    sensitive=["payload", "problems"],
)
class ImportBatch(OwnsDataKey):
    """One uploaded spreadsheet: parsed, previewed, queued, imported in the background
    (or abandoned, or cancelled while it runs).

    The parsed rows (names, phones) live sealed in ``payload`` only until the import
    ends; then they are dropped, keeping counts. While it runs, ``cursor`` is how many
    people of the plan (``payload["plan"]``) are written (moved in the same transaction
    as each chunk, so a crash resumes there) and ``problems`` the rows found wrong so
    far (row number and message, never a cell's value).
    """

    class Status(models.TextChoices):
        PREVIEW = "preview", _("preview")
        QUEUED = "queued", _("waiting to start")
        RUNNING = "running", _("importing")
        IMPORTED = "imported", _("imported")
        FAILED = "failed", _("failed")
        ABANDONED = "abandoned", _("abandoned")
        CANCELLED = "cancelled", pgettext_lazy("import", "cancelled")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

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
    skip_errors = models.BooleanField(default=False)
    cursor = models.PositiveIntegerField(default=0)
    done_count = models.PositiveIntegerField(default=0)  # rows written or skipped so far
    problems = EncryptedJSONField(null=True, blank=True)  # [[row number, message], …]
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")

    @property
    def percent(self) -> int:
        return min(100, self.done_count * 100 // self.row_count) if self.row_count else 0

    str_label = "import"


# --- exports (two-person rule) -----------------------------------------------------


@classify(
    internal=[
        "requested_by",
        "kind",
        "filters",
        "options",
        "segment",
        "count",
        "status",
        "expires_at",
        "decided_by",
        "decided_at",
        "downloaded_at",
        "rows",
        "file_state",
        "file_done",
        "file_total",
        "file_token",
        "file_key",
        "file_heartbeat_at",
    ],
    sensitive=["reason"],
)
class ExportRequest(OwnsDataKey):
    """A bulk export of people (a spreadsheet or the phone tree) waiting for, or given,
    a second person's approval; downloaded once by the person who asked
    (amparo/people/export_requests.py).

    ``filters`` is a PeopleFilter without a name (a typed name is refused before this
    is saved), so it holds roles, languages, towns and such: no personal data.
    ``options`` holds the phone tree's ``per_caller`` and ``output`` ("page" or "pdf").

    A large export is made by the worker once approved (amparo/people/export_files.py):
    ``file_state`` says how far, ``file_done`` of ``file_total`` people are written, the
    file (named by ``file_token``, sealed with the data key wrapped in ``file_key``)
    is deleted with its key after the download or when the approval expires.
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

    class FileState(models.TextChoices):
        NONE = "", _("made when downloaded")
        QUEUED = "queued", _("waiting to be prepared")
        RUNNING = "running", _("being prepared")
        READY = "ready", _("ready to download")
        FAILED = "failed", _("could not be prepared")
        DELETED = "deleted", _("file deleted")

    ACTIVE_FILE = (FileState.QUEUED, FileState.RUNNING)

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
    # why the list is needed, for the approver: free text that may name people, so sealed
    reason = EncryptedTextField(_("why this list is needed"), null=True, blank=True)
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
    file_state = models.CharField(
        max_length=10, choices=FileState.choices, default=FileState.NONE, blank=True
    )
    file_done = models.PositiveIntegerField(default=0)
    file_total = models.PositiveIntegerField(default=0)
    file_token = models.CharField(max_length=32, blank=True)
    file_key = WrappedKeyColumn()
    file_heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["network", "status", "expires_at"])]
        verbose_name = _("export request")

    str_label = "export request"

    def is_expired(self, now: Any = None) -> bool:
        return self.expires_at <= (now or timezone.now())

    @property
    def percent(self) -> int:
        if self.file_state == self.FileState.READY:
            return 100
        return min(100, self.file_done * 100 // self.file_total) if self.file_total else 0


# --- people versions (what cached counts are checked against) ------------------------


@classify(internal=["bucket", "version"])
class PeopleVersion(models.Model):
    """How often the people of a network changed, per bucket of ids (``id // 1024``),
    so a cached count is recounted only where people changed (amparo/people/counts.py).

    Two more rows per network: bucket -1 moves on every change, bucket -2 when a change
    touches everyone (a role's required trainings, a town's cell). No personal data.
    """

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    bucket = models.IntegerField()
    version = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "bucket"], name="people_version_bucket")
        ]
        verbose_name = _("people version")
        verbose_name_plural = _("people versions")

    def __str__(self) -> str:
        return f"people version {self.network_id}/{self.bucket}"
