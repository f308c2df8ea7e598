"""The solidarity fund (DOMAIN.md §1, §5): its rule, requests and decisions, bonds,
donations and a double-entry ledger. Who a request was for (the member, what for, who
paid the bond, its receipt, every decision's reason) is sealed with the case's key:
shredding the case shreds it, while the ledger keeps amounts and dates for the books.
A ledger entry is never edited nor deleted: a correction is another entry."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import NamedBySlug, Network, User
from amparo.cases.models import Case
from amparo.lib.crypto import EncryptedTextField, OwnsDataKey, classify
from amparo.lib.labelled import Labelled
from amparo.people.models import Organization

CENT = Decimal("0.01")
MONEY: dict[str, Any] = {"max_digits": 12, "decimal_places": 2}
MONEY["validators"] = [MinValueValidator(CENT)]
FK: dict[str, Any] = {
    "on_delete": models.SET_NULL,
    "null": True,
    "blank": True,
    "related_name": "+",
}


def _net() -> Any:
    return models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")


RULE = "network min_activities window_days committee_members_qualify two_approvers_from set_by"


@classify(internal=[*RULE.split(), "set_at"])
class Fund(Labelled):
    """A network's fund and its rule, data the worker committee sets: who qualifies (at
    least ``min_activities`` activities in the last ``window_days`` days, or a member of
    a committee) and from which amount two different approvers are needed."""

    network = models.OneToOneField(Network, on_delete=models.CASCADE, related_name="+")
    min_activities = models.PositiveSmallIntegerField(_("activities at least"), default=2)
    window_days = models.PositiveSmallIntegerField(_("in the last days"), default=90)
    committee_members_qualify = models.BooleanField(
        _("a member of any committee qualifies"), default=True
    )
    two_approvers_from = models.DecimalField(
        _("two approvers from this amount"), default=Decimal("500.00"), **MONEY
    )
    set_by = models.ForeignKey(User, **FK)
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("fund")
        verbose_name_plural = _("funds")

    str_label = "fund"


@classify(public=["network", "slug", "name", "position", "ends"])
class BondState(NamedBySlug):
    """A step of a bond (requested … refunded, forfeited), as data; ``ends``: settled."""

    network = _net()
    slug = models.SlugField(max_length=40)
    name = models.JSONField(default=dict)
    position = models.PositiveSmallIntegerField(default=100)
    ends = models.BooleanField(default=False)

    class Meta:
        ordering = ["position", "slug"]
        constraints = [models.UniqueConstraint(fields=["network", "slug"], name="bond_state_slug")]
        verbose_name = _("bond state")
        verbose_name_plural = _("bond states")


class Kind(models.TextChoices):
    BOND = "bond", _("Bond")
    RENT = "rent", _("Rent")
    MEDICAL = "medical", _("Medical")
    FUNERAL = "funeral", _("Funeral")
    OTHER = "other", _("Other urgent need")


class PayerKind(models.TextChoices):
    CITIZEN = "citizen", _("A U.S. citizen")
    RESIDENT = "resident", _("A permanent resident")
    ORGANIZATION = "organization", _("An organization")


REQUEST = "network case kind amount deadline requested_by created_at status decided_at referral"


@classify(
    internal=[*REQUEST.split(), "bond_state", "payer_kind", "refund_chased_at"],
    personal=["person_ref", "payer", "receipt"],
    sensitive=["purpose"],
)
class FundRequest(Labelled):
    """Money asked for a person of a case; ``person_ref``: the member's id, sealed."""

    data_key_owner = "case"

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for approval")
        PAID = "paid", _("Approved and paid out")
        DECLINED = "declined", _("Declined")

    network = _net()
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    amount = models.DecimalField(_("amount (USD)"), **MONEY)
    purpose = EncryptedTextField(_("what it is for"))
    deadline = models.DateField(_("needed by"), null=True, blank=True)
    person_ref = EncryptedTextField(blank=True, default="")
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    decided_at = models.DateTimeField(null=True, blank=True)
    referral = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    bond_state = models.ForeignKey(
        BondState, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    payer_kind = models.CharField(max_length=12, choices=PayerKind.choices, blank=True)
    payer = EncryptedTextField(blank=True, default="")
    receipt = EncryptedTextField(blank=True, default="")
    refund_chased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("fund request")
        verbose_name_plural = _("fund requests")

    str_label = "fund request"


@classify(internal=["request", "case", "approver", "verdict", "at"], sensitive=["reason"])
class Decision(Labelled):
    """One approver's word on a request, with its reason (sealed with the case)."""

    data_key_owner = "case"

    class Verdict(models.TextChoices):
        APPROVE = "approve", _("Approved")
        DECLINE = "decline", _("Declined")
        EXCEPTION = "exception", _("Exception to the rule granted")

    request = models.ForeignKey(FundRequest, on_delete=models.CASCADE, related_name="decisions")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    approver = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    reason = EncryptedTextField(_("reason"))
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "approver", "verdict"], name="fund_decided")
        ]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    str_label = "decision"


@classify(internal=["amount", "received_on", "wants_receipt", "recorded_by"], personal=["donor"])
class Donation(OwnsDataKey):
    """Money in. Anonymous unless the donor wants a receipt (then their name, sealed)."""

    network = _net()
    amount = models.DecimalField(_("amount (USD)"), **MONEY)
    received_on = models.DateField(_("received on"))
    wants_receipt = models.BooleanField(default=False)
    donor = EncryptedTextField(_("donor's name (only for a receipt)"), blank=True, default="")
    recorded_by = models.ForeignKey(User, **FK)

    class Meta:
        verbose_name = _("donation")
        verbose_name_plural = _("donations")

    str_label = "donation"


class Account(models.TextChoices):
    CASH = "cash", _("Cash")
    BONDS = "bonds", _("Bonds outstanding")
    DONATIONS = "donations", _("Donations")
    GRANTS = "grants", _("Grants")
    FORFEITS = "forfeits", _("Bonds forfeited")


ENTRY = "kind debit credit amount on request donation recorded_by"


@classify(internal=ENTRY.split())
class Entry(Labelled):
    """One posting of the double-entry ledger: ``amount`` debited to one account and
    credited to another. Never changed after it is written."""

    class Kind(models.TextChoices):
        DONATION = "donation", _("Donation")
        GRANT = "grant", _("Grant")
        BOND = "bond", _("Bond paid")
        REFUND = "refund", _("Bond refunded")
        FORFEIT = "forfeit", _("Bond forfeited")

    network = _net()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    debit = models.CharField(max_length=10, choices=Account.choices)
    credit = models.CharField(max_length=10, choices=Account.choices)
    amount = models.DecimalField(**MONEY)
    on = models.DateField()
    request = models.ForeignKey(
        FundRequest, on_delete=models.PROTECT, null=True, related_name="entries"
    )
    donation = models.ForeignKey(Donation, on_delete=models.PROTECT, null=True, related_name="+")
    recorded_by = models.ForeignKey(User, **FK)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["on", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="fund_entry_positive"),
            models.CheckConstraint(
                condition=~models.Q(debit=models.F("credit")), name="fund_entry_two_accounts"
            ),
        ]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")

    str_label = "entry"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("a ledger entry is never edited: post a correcting entry")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("a ledger entry is never deleted: post a correcting entry")
