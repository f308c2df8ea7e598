"""I-9 audits ("silent raids") and SSA no-match letters (DOMAIN.md §6, §7).

The rules are per-network data a coordinator changes: notice kinds and their deadlines
(``NoticeKind``), technical or substantive I-9 errors (``ErrorRule``), state rules such
as California Labor Code 90.2 (``StateRule``). The records: an ``Audit`` at a workplace,
its notices, the affected workers (sealed), the union's steps, the state duties, and
no-match letters (sealed)."""

from __future__ import annotations

from datetime import date

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import NamedBySlug, Network, User, localized
from amparo.lib import businessdays
from amparo.lib.crypto import EncryptedJSONField, EncryptedTextField, OwnsDataKey, classify
from amparo.lib.labelled import Labelled
from amparo.people.models import Organization, Person

# --- the rules, as data ------------------------------------------------------------


@classify(
    public=["network", "slug", "name", "rule", "days", "starts_audit", "position"],
    internal=["is_active"],
)
class NoticeKind(NamedBySlug):
    """A kind of ICE notice and how its deadline is counted."""

    class Rule(models.TextChoices):
        BUSINESS_DAYS = "business", _("business days after service")
        CALENDAR_DAYS = "calendar", _("calendar days after service")
        ON_NOTICE = "on_notice", _("the date written on the notice")
        NONE = "none", _("no deadline")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="notice_kinds")
    slug = models.SlugField(max_length=40)
    name = models.JSONField(default=dict)  # {"en": …, "es": …}
    rule = models.CharField(_("deadline rule"), max_length=10, choices=Rule.choices)
    days = models.PositiveSmallIntegerField(_("days"), default=0)
    starts_audit = models.BooleanField(default=False)  # the Notice of Inspection
    position = models.PositiveSmallIntegerField(default=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["network", "slug"], name="notice_kind_slug_once")
        ]
        verbose_name = _("kind of notice")

    def deadline(self, served_on: date, date_on_notice: date | None = None) -> date | None:
        """The deadline of a notice of this kind served on ``served_on``."""
        if self.rule == self.Rule.BUSINESS_DAYS:
            return businessdays.add_business_days(served_on, self.days)
        if self.rule == self.Rule.CALENDAR_DAYS:
            return businessdays.add_calendar_days(served_on, self.days)
        if self.rule == self.Rule.ON_NOTICE:
            return date_on_notice
        return None


@classify(public=["network", "slug", "name", "category", "since", "position"])
class ErrorRule(NamedBySlug):
    """An I-9 error and whether ICE treats it as technical (10 business days to correct)
    or substantive (fined at once); since 2026-03-16 several moved to substantive."""

    class Category(models.TextChoices):
        TECHNICAL = "technical", _("technical or procedural (can be corrected)")
        SUBSTANTIVE = "substantive", _("substantive (no chance to correct)")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="error_rules")
    slug = models.SlugField(max_length=40)
    name = models.JSONField(default=dict)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    since = models.DateField(_("since"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["position", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["network", "slug"], name="error_rule_slug_once")
        ]
        verbose_name = _("I-9 error")


@classify(public=["network", "state", "slug", "law", "notice_kind", "hours", "duty", "position"])
class StateRule(models.Model):
    """A state's duty on the employer after a kind of notice, e.g. California Labor Code
    90.2: within 72 hours of a Notice of Inspection, post a notice and tell the union."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="state_rules")
    state = models.CharField(_("state"), max_length=2)
    slug = models.SlugField(max_length=40)
    law = models.CharField(_("law"), max_length=80)
    notice_kind = models.ForeignKey(NoticeKind, on_delete=models.CASCADE, related_name="+")
    hours = models.PositiveSmallIntegerField(_("hours"), default=72)
    duty = models.JSONField(default=dict)  # {"en": …, "es": …}
    position = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["state", "position"]
        constraints = [
            models.UniqueConstraint(fields=["network", "slug"], name="state_rule_slug_once")
        ]
        verbose_name = _("state rule")

    def __str__(self) -> str:
        return self.slug

    @property
    def duty_text(self) -> str:
        return localized(self.duty)


@classify(
    public=["network", "slug", "name", "days", "opens_with_audit", "position"],
    internal=["is_active"],
)
class ActionStep(NamedBySlug):
    """A step of the union's answer (request information → demand to bargain over the
    effects → grievance or NLRB charge) and its default deadline in business days after
    the Notice of Inspection; the steps marked ``opens_with_audit`` start every audit."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="action_steps")
    slug = models.SlugField(max_length=40)
    name = models.JSONField(default=dict)
    days = models.PositiveSmallIntegerField(
        _("default deadline (business days after the Notice of Inspection)"), null=True, blank=True
    )
    opens_with_audit = models.BooleanField(_("added when an audit opens"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["position", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["network", "slug"], name="action_step_slug_once")
        ]
        verbose_name = _("union step")


# --- audits ------------------------------------------------------------------------------


@classify(internal=["workplace", "steward", "served_on", "status", "created_by", "closed_at"])
class Audit(OwnsDataKey):
    """An I-9 audit at a workplace, from the Notice of Inspection; its union steps share its key."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="i9_audits")
    workplace = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="i9_audits")
    # The person who follows it and gets the reminders (in their language).
    steward = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    served_on = models.DateField(_("Notice of Inspection served on"))
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-served_on", "-id"]
        verbose_name = _("I-9 audit")

    str_label = "audit"


@classify(
    internal=["audit", "kind", "served_on", "date_on_notice", "due_on", "reminded_at", "created_by"]
)
class AuditNotice(Labelled):
    """A notice ICE served in an audit; ``due_on`` is computed from its kind's rule."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="notices")
    kind = models.ForeignKey(NoticeKind, on_delete=models.PROTECT, related_name="+")
    served_on = models.DateField(_("served on"))
    date_on_notice = models.DateField(_("date given on the notice"), null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["served_on", "id"]
        verbose_name = _("notice")

    str_label = "notice"


@classify(internal=["audit", "case"], personal=["name"], sensitive=["details"])
class AffectedWorker(OwnsDataKey):
    """A worker named in a notice. Their own data key: shredding it erases them alone.
    ``details``: status, the support given, the notice that named them, notes."""

    class Status(models.TextChoices):
        NAMED = "named", _("named in a notice")
        GATHERING = "gathering", _("gathering documents")
        RESOLVED = "resolved", _("resolved, still working")
        REHIRED = "rehired", _("re-hired under their true name")
        LOST_JOB = "lost_job", _("lost their job")

    class Support(models.TextChoices):
        TIME = "time", _("time to gather documents")
        LEGAL = "legal", _("legal consultation")
        REHIRE = "rehire", _("re-hire under a true name")
        LEAVE = "leave", _("leave for proceedings")

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="workers")
    # the case opened for them (need-to-know: shown only to whoever may open the case)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="i9_workers"
    )
    name = EncryptedTextField(_("name"))
    details = EncryptedJSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("affected worker")

    str_label = "affected worker"

    @property
    def status(self) -> str:
        return str(self.details.get("status") or self.Status.NAMED)

    @property
    def status_label(self) -> str:
        return str(dict(self.Status.choices).get(self.status, self.status))

    @property
    def support_labels(self) -> list[str]:
        labels = dict(self.Support.choices)
        return [str(labels[s]) for s in self.details.get("support", []) if s in labels]


@classify(
    internal=["audit", "step", "due_on", "sent_on", "sent_by", "reminded_at"],
    sensitive=["what_sent"],
)
class UnionAction(Labelled):
    """A step of the union's answer: information request → demand to bargain over the
    effects → grievance or NLRB charge; each with its deadline and what was sent, when."""

    data_key_owner = "audit"

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="actions")
    step = models.ForeignKey(ActionStep, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("due on"), null=True, blank=True)
    sent_on = models.DateField(_("sent on"), null=True, blank=True)
    sent_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    what_sent = EncryptedTextField(_("what was sent"), blank=True, default="")
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("union action")

    str_label = "union action"


@classify(internal=["audit", "rule", "notice", "due_at", "reminded_at", "done_at", "done_by"])
class StateDuty(Labelled):
    """A state rule's duty on the employer in one audit (post a notice, tell the union
    within 72 hours): the steward is reminded to check it, and checks it off."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="state_duties")
    rule = models.ForeignKey(StateRule, on_delete=models.CASCADE, related_name="+")
    notice = models.ForeignKey(AuditNotice, on_delete=models.CASCADE, related_name="+")
    due_at = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["rule", "notice"], name="state_duty_once")]
        verbose_name = _("state duty")

    str_label = "state duty"


# --- no-match letters ----------------------------------------------------------------------


@classify(
    internal=[
        "employer",
        "steward",
        "received_on",
        "respond_by",
        "employer_steps",
        "union_response_on",
        "worker_response_on",
        "status",
        "reminded_at",
    ],
    personal=["worker_name"],
    sensitive=["notes"],
)
class NoMatchLetter(OwnsDataKey):
    """An SSA no-match letter (or E-Verify mismatch) an employer acts on, per worker. A
    no-match is not evidence of immigration status."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    class EmployerStep(models.TextChoices):
        RECORDS = "records", _("checked its own records for typos and name changes")
        WRITING = "writing", _("told the worker in writing")
        SSA = "ssa", _("referred the worker to SSA")
        TIME = "time", _("allowed a reasonable time (months, not days)")
        NO_REVERIFY = "no_reverify", _("did not re-verify on the letter alone")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="no_match_letters")
    employer = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="no_match_letters"
    )
    steward = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    worker_name = EncryptedTextField(_("worker's name"))
    received_on = models.DateField(_("received on"))
    respond_by = models.DateField(_("employer's deadline"), null=True, blank=True)
    employer_steps = models.JSONField(default=list, blank=True)
    union_response_on = models.DateField(_("union responded on"), null=True, blank=True)
    worker_response_on = models.DateField(_("worker responded on"), null=True, blank=True)
    notes = EncryptedTextField(_("notes"), blank=True, default="")
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["respond_by", "id"]
        verbose_name = _("no-match letter")

    str_label = "no-match letter"
