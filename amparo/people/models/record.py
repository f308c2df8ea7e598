"""The worker committee's record and what the network won: priorities, decisions (a
text per language), demands to officials and businesses, the commitments won and the
checks that enforce them (DOMAIN.md §1). A committee meeting is an ``Activity`` of the
committee: its attendance is participation like any other."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import Network, User
from amparo.lib.crypto import classify
from amparo.lib.labelled import Labelled

from .organizing import Activity, Committee, Organization
from .persons import Place


@classify(public=["network", "name", "position", "is_current", "created_at", "show_on_signup"])
class Priority(Labelled):
    """A priority the worker committee set ("workplace abuse"), a name per language."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="priorities")
    name = models.JSONField(default=dict)
    position = models.PositiveSmallIntegerField(default=100)
    is_current = models.BooleanField(default=True)
    #: the committee chose to show it on the public sign-up page
    show_on_signup = models.BooleanField(_("show on the public sign-up page"), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("priority")
        verbose_name_plural = _("priorities")

    str_label = "priority"


@classify(
    internal=[
        "committee",
        "meeting",
        "decided_on",
        "text",
        "priorities",
        "is_current",
        "created_by",
    ]
)
class Decision(Labelled):
    """What the worker committee decided, in the languages it chose to write it in
    (``text``: {"es": …, "en": …}); a language it did not write is shown as missing,
    never machine-translated."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="decisions")
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="decisions")
    meeting = models.ForeignKey(
        Activity, on_delete=models.SET_NULL, null=True, blank=True, related_name="decisions"
    )
    decided_on = models.DateField(_("decided on"), default=timezone.localdate)
    text = models.JSONField(default=dict)
    priorities = models.ManyToManyField(Priority, blank=True, related_name="decisions")
    is_current = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-decided_on", "-id"]
        verbose_name = _("decision")

    str_label = "decision"


@classify(
    internal=[
        "decision",
        "target",
        "target_name",
        "what",
        "asked_on",
        "research",
        "status",
        "updated_at",
    ]
)
class Demand(Labelled):
    """A demand to an official or a business: to whom, what, when it was asked, the
    research behind it; its status moves drafted → delivered → won / refused / partly."""

    class Status(models.TextChoices):
        DRAFTED = "drafted", _("drafted")
        DELIVERED = "delivered", _("delivered")
        WON = "won", _("won")
        PARTLY = "partly", _("partly won")
        REFUSED = "refused", _("refused")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="demands")
    decision = models.ForeignKey(
        Decision, on_delete=models.SET_NULL, null=True, blank=True, related_name="demands"
    )
    #: the contact sheet's entry (a public office or a business), if it is on it
    target = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="demands"
    )
    target_name = models.CharField(_("to whom"), max_length=160)
    what = models.TextField(_("what is demanded"), max_length=2000)
    asked_on = models.DateField(_("asked on"), null=True, blank=True)
    research = models.TextField(_("research behind it"), max_length=5000, blank=True)
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.DRAFTED)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("demand")

    str_label = "demand"


@classify(
    internal=[
        "demand",
        "promise",
        "evidence",
        "evidence_link",
        "check_every_days",
        "next_check_on",
        "is_active",
        "warns_town",
    ]
)
class Commitment(Labelled):
    """What exactly was promised, the evidence (a letter, minutes, a link), and how often
    the network checks that it is kept."""

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="commitments")
    promise = models.TextField(_("what was promised"), max_length=2000)
    evidence = models.TextField(_("evidence"), max_length=2000, blank=True)
    evidence_link = models.URLField(_("link to the evidence"), blank=True)
    check_every_days = models.PositiveSmallIntegerField(_("check every (days)"), default=30)
    next_check_on = models.DateField(_("next check"))
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    #: the official promised to warn this town's community of raids: a raid confirmed
    #: there adds a step to its playbook, "check the official did it"
    warns_town = models.ForeignKey(
        Place,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("warns the community of raids in"),
    )

    class Meta:
        ordering = ["next_check_on", "id"]
        verbose_name = _("commitment")

    str_label = "commitment"


@classify(
    internal=["commitment", "due_on", "outcome", "note", "checked_at", "checked_by", "escalated_at"]
)
class CommitmentCheck(Labelled):
    """One enforcement check: opened when it falls due, answered kept / broken; a broken
    one, or one left unanswered past its grace days, is raised to the coordinators."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("to check")
        KEPT = "kept", _("kept")
        BROKEN = "broken", _("broken")

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="checks")
    due_on = models.DateField()
    outcome = models.CharField(max_length=7, choices=Outcome.choices, default=Outcome.PENDING)
    note = models.TextField(_("what was found"), max_length=2000, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    checked_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-due_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["commitment", "due_on"], name="commitment_check_once")
        ]
        verbose_name = _("enforcement check")

    str_label = "commitment check"


@classify(
    public=["network", "message", "capacity", "place"],
    internal=["started_at", "ended_at", "started_by"],
)
class Surge(Labelled):
    """Surge mode after a public moment: while on (``ended_at`` empty), the public
    sign-up page shows ``message`` (a text per language) and every person who confirms
    a sign-up is invited to the next orientation by text in their language."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="surges")
    message = models.JSONField(default=dict)
    # the orientations it opens itself: seats each, and where
    capacity = models.PositiveSmallIntegerField(_("seats per orientation"), default=30)
    place = models.CharField(_("where orientations are held"), max_length=200, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["network"], condition=models.Q(ended_at=None), name="one_surge_on"
            )
        ]
        verbose_name = _("surge mode")

    str_label = "surge"
