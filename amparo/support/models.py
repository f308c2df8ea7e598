"""Support around a case (DOMAIN.md §1, §3): sanctuary rotas, a family's needs on the
subcommittees' boards, and family preparedness plans made before a raid.

A plan's contents and its chosen people are sealed with the plan's own data key; the
link each chosen person gets is found by a hash of its token (the token itself is sealed
too, so the member can print it)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import LANGUAGE_CHOICES, Network, User
from amparo.cases.models import Case
from amparo.lib.crypto import EncryptedJSONField, EncryptedTextField, OwnsDataKey, classify
from amparo.lib.labelled import Labelled
from amparo.people.models import Committee, Organization, Person, Task


class SlotKind(models.TextChoices):
    MEAL = "meal", _("Meal")
    VISIT = "visit", _("Visit")
    RIDE = "ride", _("Ride")
    OVERNIGHT = "overnight", _("Overnight presence")
    LEGAL = "legal", _("Legal visit")


class NeedKind(models.TextChoices):
    RIDES = "rides", _("Rides")
    FOOD = "food", _("Food")
    CHILDCARE = "childcare", _("Childcare")
    RENT = "rent", _("Rent")
    LEGAL = "legal", _("Legal")
    MEDICAL = "medical", _("Medical")


@classify(internal=["case", "congregation", "contact", "committee", "ended"])
class Sanctuary(Labelled):
    """A person (their case) in sanctuary in a congregation; ``contact`` runs its rota,
    ``committee``'s members are asked to fill its gaps."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    congregation = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "congregation"},
    )
    contact = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    committee = models.ForeignKey(
        Committee, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ended = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("sanctuary")

    str_label = "sanctuary"


@classify(internal=["sanctuary", "kind", "starts_at", "hours", "person", "reminded"])
class RotaSlot(Labelled):
    """One turn of the rota; ``person`` is the volunteer who took it."""

    sanctuary = models.ForeignKey(Sanctuary, on_delete=models.CASCADE, related_name="slots")
    kind = models.CharField(_("kind"), max_length=10, choices=SlotKind.choices)
    starts_at = models.DateTimeField(_("starts at"))
    hours = models.PositiveSmallIntegerField(_("hours"), default=2)
    person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reminded = models.BooleanField(default=False)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("rota slot")

    str_label = "rota slot"


@classify(public=["network", "kind", "committee"])
class NeedRoute(Labelled):
    """Which committee's board a kind of need goes to (defaults: services.ROUTES)."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=NeedKind.choices)
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["network", "kind"], name="need_route")]
        verbose_name = _("need route")
        verbose_name_plural = _("need routes")

    str_label = "need route"


@classify(internal=["case", "kind", "task"])
class Need(Labelled):
    """A family's need, as a task on a committee's board: the task's words (sealed with
    the task's key) are all the board shows; which case it serves stays here."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=NeedKind.choices)
    task = models.OneToOneField(Task, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("need")

    str_label = "need"


@classify(internal=["owner", "language", "opened_by", "case", "expires_at"], sensitive=["body"])
class FamilyPlan(OwnsDataKey):
    """A member's plan for if they are detained: ``body`` = {"children": …, "documents":
    …, "contacts": …, "lawyer": …} (texts). Its chosen people's links work from
    being opened (by the case team or a coordinator: ``opened_by``) until ``expires_at``."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    language = models.CharField(max_length=8, choices=LANGUAGE_CHOICES, default="es")
    body = EncryptedJSONField(default=dict)
    opened_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["network", "owner"], name="family_plan")]
        verbose_name = _("family plan")

    str_label = "family plan"


@classify(internal=["plan", "token_hash"], personal=["name", "phone", "token"])
class PlanViewer(Labelled):
    """Someone the member chose to see the plan, and their link's token."""

    data_key_owner = "plan"

    plan = models.ForeignKey(FamilyPlan, on_delete=models.CASCADE, related_name="viewers")
    name = EncryptedTextField()
    phone = EncryptedTextField(blank=True, default="")
    token = EncryptedTextField()
    token_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("plan viewer")
        verbose_name_plural = _("plan viewers")

    str_label = "plan viewer"
