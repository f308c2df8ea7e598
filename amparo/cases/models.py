"""Cases for detained workers and for workplace abuse or hate crimes (DOMAIN.md §3, §5).

A case owns a data key: the names as on documents, the A-number, the country of birth,
the screening flags, the notes and every transfer and event are sealed with it, so
shredding the key after the case is closed destroys all of it, even in old backups.
States and team roles are data a network can rename or extend.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import LANGUAGE_CHOICES, NamedBySlug, Network, User
from amparo.alerts.models import Facility
from amparo.lib.crypto import (
    EncryptedJSONField,
    EncryptedTextField,
    NameTokensField,
    OwnsDataKey,
    classify,
)
from amparo.lib.labelled import Labelled
from amparo.people.models import Organization
from amparo.reports.models import Incident


class CaseKind(models.TextChoices):
    DETENTION = "detention", _("Detention")
    WORKPLACE = "workplace", _("Workplace abuse")
    HATE_CRIME = "hate_crime", _("Hate crime")


#: the humanitarian screening (DOMAIN.md §3): key -> label
SCREENING = {
    "sole_caregiver": _("Sole caregiver"),
    "pregnant_or_nursing": _("Pregnant or nursing"),
    "serious_medical": _("Serious medical needs"),
}

#: the kinds of workplace abuse a case can name
ABUSES = {
    "wage_theft": _("Wage theft"),
    "sexual_harassment": _("Sexual harassment"),
    "retaliation": _("Retaliation"),
    "unsafe_conditions": _("Unsafe conditions"),
}


@classify(public=["network", "slug", "name", "position", "closes", "counsel"])
class CaseState(NamedBySlug):
    """A step of a case (reported, detained, counsel reached, bond, released…), as data.
    ``closes``: the case is closed in it; ``counsel``: counsel has reached the person."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="case_states")
    slug = models.SlugField(max_length=40)
    name = models.JSONField(default=dict)
    position = models.PositiveSmallIntegerField(default=100)
    closes = models.BooleanField(default=False)
    counsel = models.BooleanField(default=False)

    class Meta:
        ordering = ["position", "slug"]
        constraints = [models.UniqueConstraint(fields=["network", "slug"], name="case_state_slug")]
        verbose_name = _("case state")


@classify(public=["network", "slug", "name", "position"])
class CaseTeamRole(NamedBySlug):
    """A place on a case team (case manager, attorney, accompanier), as data."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="case_roles")
    slug = models.SlugField(max_length=40)
    name = models.JSONField(default=dict)
    position = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["position", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["network", "slug"], name="case_team_role_slug")
        ]
        verbose_name = _("case team role")


@classify(
    internal=[
        "kind",
        "state",
        "incident",
        "intake",
        "facility",
        "detained_at",
        "counsel_reached_at",
        "team_told_at",
        "coordinator_told_at",
        "language",
        "referral",
        "opened_by",
        "closed_at",
        "name_tokens",
    ],
    personal=["given_names", "family_names"],
    sensitive=["a_number", "country_of_birth", "screening", "details", "notes"],
)
class Case(OwnsDataKey):
    """One person's case: the locator's needs (names as on documents, A-number, birth country)."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="cases")
    kind = models.CharField(
        _("kind"), max_length=12, choices=CaseKind.choices, default=CaseKind.DETENTION
    )
    state = models.ForeignKey(CaseState, on_delete=models.PROTECT, related_name="+")
    incident = models.ForeignKey(
        Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="cases"
    )
    intake = models.ForeignKey(
        "hotline.Intake", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    given_names = EncryptedTextField(_("given names, exactly as on documents"))
    family_names = EncryptedTextField(_("family names, exactly as on documents"))
    name_tokens = NameTokensField(source="full_name")
    a_number = EncryptedTextField(_("A-number"), blank=True, default="")
    country_of_birth = EncryptedTextField(_("country of birth"), blank=True, default="")
    facility = models.ForeignKey(
        Facility, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    detained_at = models.DateTimeField(_("detained at"), null=True, blank=True)
    counsel_reached_at = models.DateTimeField(null=True, blank=True)
    # The 72-hour clock's notices, each claimed once (conditional UPDATE).
    team_told_at = models.DateTimeField(null=True, blank=True)
    coordinator_told_at = models.DateTimeField(null=True, blank=True)
    screening = EncryptedJSONField(default=dict)  # {"sole_caregiver": True, …}
    # Workplace abuse / hate crime: {"employer": …, "abuses": [...], "what": …, "when": …}
    details = EncryptedJSONField(default=dict)
    notes = EncryptedTextField(blank=True, default="")
    language = models.CharField(max_length=8, choices=LANGUAGE_CHOICES, default="es")
    referral = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    opened_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["network", "closed_at", "detained_at"])]
        verbose_name = _("case")

    str_label = "case"

    @property
    def full_name(self) -> str:
        return f"{self.given_names or ''} {self.family_names or ''}".strip()

    @property
    def shown_name(self) -> str:
        """The name for a page: "(erased)" once the case's data key was shredded."""
        return self.full_name or str(_("(erased after closing)"))

    @property
    def flags(self) -> list[str]:
        screening = self.screening or {}
        return [str(label) for key, label in SCREENING.items() if screening.get(key)]


@classify(
    internal=["case", "moved_at", "from_facility", "to_facility", "recorded_by"], sensitive=["note"]
)
class CaseTransfer(Labelled):
    """The person was moved from one facility to another on a date."""

    data_key_owner = "case"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transfers")
    moved_at = models.DateTimeField(_("moved at"))
    from_facility = models.ForeignKey(
        Facility, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to_facility = models.ForeignKey(
        Facility, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = EncryptedTextField(blank=True, default="")
    recorded_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["moved_at", "id"]
        verbose_name = _("transfer")

    str_label = "transfer"


@classify(internal=["case", "kind", "at", "actor", "state"], sensitive=["note"])
class CaseEvent(Labelled):
    """One line of a case's timeline. ``note`` is sealed with the case's key."""

    data_key_owner = "case"

    class Kind(models.TextChoices):
        OPENED = "opened", _("Case opened")
        STATE = "state", _("State changed")
        TRANSFER = "transfer", _("Transferred")
        COUNSEL = "counsel", _("Counsel reached the person")
        TEAM = "team", _("Team changed")
        HANDOFF = "handoff", _("A family member called the hotline")
        NOTICE_TEAM = "notice_team", _("24 hours without counsel: the team was told")
        NOTICE_COORD = "notice_coord", _("48 hours without counsel: the coordinator was told")
        EDIT = "edit", _("Details changed")
        NOTE = "note", _("Note")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.ForeignKey(
        CaseState, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("case event")

    str_label = "case event"


@classify(internal=["case", "user", "role", "added_at", "added_by"])
class CaseTeamMember(Labelled):
    """Someone on a case's team, in a role. Being on the team is what lets a member
    open the case (an accounts Assignment, need-to-know)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    role = models.ForeignKey(CaseTeamRole, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["role__position", "added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "user", "role"], name="case_team_member")
        ]
        verbose_name = _("case team member")

    str_label = "case team member"


@classify(internal=["intake", "responder", "case"], personal=["caller_number", "name_asked"])
class CaseHandoff(OwnsDataKey):
    """A hotline responder handed a family's call to the legal team. ``case`` is the case
    it matched (never shown to the responder)."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    intake = models.ForeignKey(
        "hotline.Intake", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    responder = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    caller_number = EncryptedTextField(_("caller's number"))
    name_asked = EncryptedTextField(_("name they ask about"))
    case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("hand-off")

    str_label = "hand-off"
