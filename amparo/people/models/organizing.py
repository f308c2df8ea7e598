"""Organizing: organizations and their members, the worker committee and subcommittees
with their members and tasks, and the activities where attendance is taken."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from amparo.accounts.models import NamedBySlug, Network, User
from amparo.lib.crypto import EncryptedTextField, OwnsDataKey, classify
from amparo.lib.labelled import Labelled

from .persons import Person

# --- organizations ------------------------------------------------------------------


@classify(
    public=["network", "kind", "name", "website"],
    internal=[
        "phone",
        "address",
        "state",
        "employer",
        "contract_clauses",
        "country",
        "contact_name",
        "desk_phone",
        "after_hours_phone",
    ],
)
class Organization(models.Model):
    """A congregation, union, partner group, legal-service provider or public office; or
    an employer and its workplaces, where the union follows I-9 audits (audits app). The
    union's contacts there are its members (``OrganizationMember``, role "steward"…)."""

    class Kind(models.TextChoices):
        CONGREGATION = "congregation", _("congregation")
        UNION = "union", _("union")
        PARTNER = "partner", _("partner group")
        LEGAL = "legal", _("legal-service provider")
        OFFICE = "office", _("public office")
        EMPLOYER = "employer", _("employer")
        WORKPLACE = "workplace", _("workplace")
        # the contact sheet's offices (DOMAIN.md §3 before #4, after #3; §5)
        MEDIA = "media", _("local media")
        ICE = "ice", _("ICE field office (ERO)")
        SHERIFF = "sheriff", _("county sheriff")
        POLICE = "police", _("police department")
        OFFICIAL = "official", _("elected official")
        CONSULATE = "consulate", _("consulate")
        NATIONAL = "national", _("national AFL-CIO")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="organizations")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=160)
    # An organization's published contact details, not a person's.
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    website = models.URLField(_("website"), blank=True)
    # Employers and workplaces: the US state whose rules apply (two letters, e.g. "CA"),
    # the employer a workplace belongs to, and the union contract's relevant clauses.
    state = models.CharField(_("state"), max_length=2, blank=True)
    employer = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="workplaces",
        limit_choices_to={"kind": "employer"},
        verbose_name=_("employer"),
    )
    contract_clauses = models.TextField(_("contract clauses"), blank=True)
    # The contact sheet: whom to ask for (an office's public contact, e.g. the Field
    # Office Director), a consulate's country, protection desk and after-hours phone.
    contact_name = models.CharField(_("whom to ask for"), max_length=120, blank=True)
    country = models.CharField(_("country"), max_length=60, blank=True)
    desk_phone = models.CharField(_("protection desk"), max_length=20, blank=True)
    after_hours_phone = models.CharField(_("after-hours phone"), max_length=20, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("organization")

    def __str__(self) -> str:
        return self.name


@classify(internal=["organization", "person", "role"])
class OrganizationMember(Labelled):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="organizations")
    role = models.CharField(max_length=80, blank=True)  # pastor, steward, staff attorney…

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "person"], name="org_member_once")
        ]
        verbose_name = _("organization member")
        verbose_name_plural = _("organization members")

    str_label = "org member"


# --- committees ----------------------------------------------------------------------


@classify(public=["network", "slug", "name", "description", "kind", "position"])
class Committee(NamedBySlug):
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


@classify(internal=["committee", "person", "is_chair", "joined_at"])
class CommitteeMember(Labelled):
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="committees")
    is_chair = models.BooleanField(default=False)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["committee", "person"], name="committee_member_once")
        ]
        verbose_name = _("committee member")
        verbose_name_plural = _("committee members")

    str_label = "committee member"


@classify(internal=["committee", "assignee", "due_date", "status"], sensitive=["title"])
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

    str_label = "task"


# --- participation -------------------------------------------------------------------


@classify(
    public=["network", "kind", "starts_at"], internal=["title", "place", "committee", "capacity"]
)
class Activity(models.Model):
    """A meeting, event or action where attendance is taken. An event has a time, a
    place, RSVPs (by web or by text, :class:`Rsvp`) and, if ``capacity`` is set, a
    waiting list; check-in (``Attendance``) is what counts as participation."""

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
    #: at most this many RSVPs are "going"; the next ones wait (None: no limit)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")

    def __str__(self) -> str:
        return self.title


@classify(internal=["activity", "person", "checked_in_at", "checked_in_by"])
class Attendance(Labelled):
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
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")

    str_label = "attendance"


@classify(internal=["activity", "person", "status", "via", "updated_at", "reminded_at"])
class Rsvp(Labelled):
    """A person's answer to an activity: invited (a text went out, no answer yet), going,
    on the waiting list (the activity was full), or not going. One row per person."""

    class Status(models.TextChoices):
        INVITED = "invited", _("invited")
        GOING = "going", pgettext_lazy("rsvp", "going")
        WAITING = "waiting", _("waiting list")
        DECLINED = "declined", _("not going")

    class Via(models.TextChoices):
        WEB = "web", _("web")
        TEXT = "text", _("text")

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="rsvps")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="rsvps")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.INVITED)
    via = models.CharField(max_length=4, choices=Via.choices, default=Via.WEB)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    #: when the status last changed: the waiting list is served in this order
    updated_at = models.DateTimeField(default=timezone.now)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["activity", "person"], name="rsvp_once")]
        indexes = [
            models.Index(fields=["activity", "status", "updated_at"]),
            models.Index(fields=["person", "status"]),
        ]
        verbose_name = _("RSVP")

    str_label = "rsvp"
