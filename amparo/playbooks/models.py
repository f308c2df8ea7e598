"""Playbooks (DOMAIN.md §3): the toolkit's before / during-and-after checklists as data.

A :class:`PlaybookTemplate` is one version of a network's list of steps (a JSON list,
shipped from ``data/playbooks.json``); editing it saves a new version, so a running
:class:`Playbook` keeps the steps it started with (they are copied to its
:class:`PlaybookStep` rows). A call made from a step and its outcome is a :class:`CallLog`.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import Network, User
from amparo.alerts.models import Alert
from amparo.lib.crypto import EncryptedTextField, OwnsDataKey, classify
from amparo.lib.labelled import Labelled
from amparo.people.models import Activity, Organization, Person
from amparo.reports.models import Incident


class Phase(models.TextChoices):
    BEFORE = "before", _("before a raid")
    AFTER = "after", _("during and after a raid")


@classify(public=["network", "phase", "version", "steps", "created_at"], internal=["created_by"])
class PlaybookTemplate(models.Model):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    phase = models.CharField(max_length=6, choices=Phase.choices)
    version = models.PositiveIntegerField(default=1)
    steps = models.JSONField(default=list)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["phase", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "phase", "version"], name="playbook_template_version"
            )
        ]
        verbose_name = _("playbook template")
        verbose_name_plural = _("playbook templates")

    def __str__(self) -> str:
        return f"{self.phase} v{self.version}"


@classify(
    public=["network", "phase"],
    internal=["incident", "template", "started_at", "isolated", "assessed_at"],
)
class Playbook(Labelled):
    """A template's steps running for an incident (or, for "before", for the network)."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    phase = models.CharField(max_length=6, choices=Phase.choices)
    incident = models.OneToOneField(
        Incident, on_delete=models.CASCADE, null=True, blank=True, related_name="playbook"
    )
    template = models.ForeignKey(PlaybookTemplate, on_delete=models.PROTECT, related_name="runs")
    started_at = models.DateTimeField(default=timezone.now)
    #: the cluster step's answer: was the raid isolated? (None: not assessed yet)
    isolated = models.BooleanField(null=True, blank=True)
    assessed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("playbook")
        verbose_name_plural = _("playbooks")

    str_label = "playbook"


@classify(
    public=["key", "position", "title", "owner", "after", "uses"],
    internal=[
        "playbook",
        "code",
        "due_at",
        "notified_at",
        "escalated_at",
        "done_at",
        "done_by",
        "done_person",
        "done_via",
        "activity",
        "alert",
    ],
)
class PlaybookStep(Labelled):
    class Via(models.TextChoices):
        WEB = "web", _("on the web")
        TEXT = "text", _("by text")

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="steps")
    key = models.SlugField(max_length=40)
    position = models.PositiveSmallIntegerField(default=0)
    title = models.JSONField(default=dict)  # {"en": …, "es": …}
    owner = models.CharField(max_length=40)  # a capability (accounts/roles.py)
    after = models.JSONField(default=list, blank=True)  # keys of steps done first
    uses = models.JSONField(default=dict, blank=True)  # contacts, event, cluster
    #: the reply that marks it done ("PB4821"), unique among the network's open steps
    code = models.CharField(max_length=8, db_index=True)
    due_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    done_person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    done_via = models.CharField(max_length=4, choices=Via.choices, blank=True)
    activity = models.ForeignKey(
        Activity, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    alert = models.ForeignKey(
        Alert, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("playbook step")
        verbose_name_plural = _("playbook steps")

    str_label = "step"


@classify(internal=["step", "organization", "called_by", "called_at"], sensitive=["outcome"])
class CallLog(OwnsDataKey):
    """A call from a step's contact sheet and its outcome (sealed: it may name people)."""

    step = models.ForeignKey(PlaybookStep, on_delete=models.CASCADE, related_name="calls")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    outcome = EncryptedTextField(_("outcome"))
    called_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    called_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-called_at", "-id"]
        verbose_name = _("call log entry")
        verbose_name_plural = _("call log entries")
