"""The fund's writes: requests, decisions, bonds, donations, each with its audit record,
and the ledger's postings. Every posting that takes money out takes the fund's lock first
(a row lock on PostgreSQL; on SQLite the transaction begins with the write lock), then
reads the balance, so two approvals racing never both spend the same dollars."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from amparo.accounts.access import Refused
from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User
from amparo.cases.models import Case
from amparo.cases.services import case_link, people_text, team_people
from amparo.people.identity import text_sender
from amparo.people.models import CommitteeMember, Organization, Person
from amparo.people.participation import participation_count
from amparo.people.services import people_with_capability
from amparo.people.texting import person_text

from .models import CENT, Account, BondState, Decision, Donation, Entry, Fund, FundRequest, Kind

A, E = Account, Entry.Kind
#: (slug, English, Spanish, ends): the default bond states
BOND_STATES = [
    ("requested", "Requested", "Solicitada", False),
    ("approved", "Approved", "Aprobada", False),
    ("posted", "Posted", "Depositada", False),
    ("released", "Person released", "Persona liberada", False),
    ("in-court", "Case in court", "Caso en la corte", False),
    ("refunded", "Refunded", "Reembolsada", True),
    ("forfeited", "Forfeited", "Perdida", True),
]
#: the refund of a bond whose case closed is asked of the case team this often
CHASE_EVERY = timedelta(days=7)


class FundRefused(Refused):
    pass


def fund_of(network: Network) -> Fund:
    """The network's fund and bond states (made the first time they are needed)."""
    fund, made = Fund.objects.get_or_create(network=network)
    if made:
        for position, (slug, en, es, ends) in enumerate(BOND_STATES):
            BondState.objects.get_or_create(
                network=network,
                slug=slug,
                defaults={"name": {"en": en, "es": es}, "position": position * 10, "ends": ends},
            )
    return fund


def _lock(network: Network) -> Fund:
    fund = fund_of(network)
    return Fund.objects.select_for_update().get(pk=fund.pk)


def _audit(obj: Any, network: Network, actor: Any, fields: list[str], note: str) -> None:
    action = AuditEvent.Action.CREATE if "created" in note else AuditEvent.Action.UPDATE
    audit_record(action=action, actor=actor, network=network, obj=obj, fields=fields, note=note)


# --- the ledger ------------------------------------------------------------------------


def balances(network: Network, *, until: date | None = None) -> dict[str, Decimal]:
    """Each account's balance, debits minus credits (donations, a credit account, are
    negative), from the entries up to ``until`` (included)."""
    qs = Entry.objects.filter(network=network)
    if until is not None:
        qs = qs.filter(on__lte=until)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for side, sign in (("debit", 1), ("credit", -1)):
        for account, amount in (
            qs.values_list(side).annotate(s=Sum("amount")).values_list(side, "s")
        ):
            totals[account] += sign * amount
    return {a: totals[a].quantize(CENT) for a in Account.values}


def _post(
    *,
    network: Network,
    kind: str,
    debit: str,
    credit: str,
    amount: Decimal,
    actor: Any,
    **links: Any,
) -> Entry:
    """Write one entry; the caller holds the fund's lock when money leaves an account."""
    if amount <= 0:
        raise ValidationError(_("Write an amount above zero."))
    on = links.pop("on", None) or timezone.localdate()
    entry = Entry.objects.create(
        network=network,
        kind=kind,
        debit=debit,
        credit=credit,
        amount=amount,
        on=on,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        **links,
    )
    _audit(entry, network, actor, ["kind", "amount", "on"], f"created {kind}")
    return entry


def _spend(network: Network, account: str, amount: Decimal) -> None:
    have = balances(network)[account]
    if have < amount:
        raise FundRefused(
            _("The fund has $%(have)s; this needs $%(need)s. Nothing was paid.")
            % {"have": have, "need": amount}
        )


def _refundable(req: FundRequest) -> Decimal:
    """What of a bond is still out: paid, less refunded and forfeited."""
    sums = {k: v for k, v in req.entries.values_list("kind").annotate(s=Sum("amount"))}
    return (
        sums.get(E.BOND, Decimal(0))
        - sums.get(E.REFUND, Decimal(0))
        - sums.get(E.FORFEIT, Decimal(0))
    )


@transaction.atomic
def donation_record(
    *, network: Network, amount: Decimal, received_on: date, actor: Any, donor: str = ""
) -> Donation:
    """Money in: anonymous unless a donor's name is given for a receipt."""
    donation = Donation.objects.create(
        network=network,
        amount=amount,
        received_on=received_on,
        donor=donor.strip()[:200],
        wants_receipt=bool(donor.strip()),
        recorded_by=actor,
    )
    _post(
        network=network,
        kind=E.DONATION,
        debit=A.CASH,
        credit=A.DONATIONS,
        amount=amount,
        actor=actor,
        donation=donation,
        on=received_on,
    )
    return donation


# --- eligibility ----------------------------------------------------------------------


@dataclass
class Eligibility:
    fund: Fund
    person: Person | None
    activities: int = 0
    committees: list[str] = field(default_factory=list)
    exception: Decision | None = None

    @property
    def by_activity(self) -> bool:
        return self.activities >= self.fund.min_activities

    @property
    def qualifies(self) -> bool:
        by_committee = self.fund.committee_members_qualify and bool(self.committees)
        return self.by_activity or by_committee or self.exception is not None


def person_of(req: FundRequest) -> Person | None:
    ref = req.person_ref or ""
    return (
        Person.objects.filter(network=req.network, pk=int(ref)).first() if ref.isdigit() else None
    )


def eligibility(req: FundRequest) -> Eligibility:
    """The person's record against the fund's rule."""
    fund, person = fund_of(req.network), person_of(req)
    found = Eligibility(fund=fund, person=person)
    found.exception = req.decisions.filter(verdict=Decision.Verdict.EXCEPTION).first()
    if person is not None:
        since = timezone.now() - timedelta(days=fund.window_days)
        found.activities = participation_count(person, since)
        found.committees = [
            m.committee.label
            for m in CommitteeMember.objects.filter(person=person).select_related("committee")
        ]
    return found


def approvals_needed(req: FundRequest) -> int:
    return 2 if req.amount >= fund_of(req.network).two_approvers_from else 1


# --- requests and decisions -----------------------------------------------------------


@transaction.atomic
def request_create(
    *,
    case: Case,
    kind: str,
    amount: Decimal,
    purpose: str,
    actor: User,
    phone: str = "",
    deadline: date | None = None,
) -> FundRequest:
    """Money asked for the person of ``case``; ``phone``: the member's number, to find
    their record (participation, committees) and text them the decision."""
    if case.closed_at is not None:
        raise FundRefused(_("This case is closed."))
    fund_of(case.network)
    found = text_sender(network=case.network, address=phone).people if phone else []
    person = next((p for p in found if p.status != Person.Status.REMOVED), None)
    req = FundRequest.objects.create(
        network=case.network,
        case=case,
        kind=kind,
        amount=amount,
        purpose=purpose.strip()[:2000],
        deadline=deadline,
        person_ref=str(person.pk) if person else "",
        requested_by=actor,
        bond_state=BondState.objects.get(network=case.network, slug="requested")
        if kind == Kind.BOND
        else None,
    )
    _audit(req, case.network, actor, ["kind", "amount", "purpose", "person_ref"], "created")
    waiting = _("Amparo: a fund request of $%(amount)s waits for your approval. %(link)s")
    link = case_link(case).replace(f"/cases/{case.pk}/", f"/fund/{req.pk}/")
    people_text(
        [p for p in people_with_capability(case.network, "fund.approve") if p.user_id != actor.pk],
        lambda: waiting % {"amount": req.amount, "link": link},
        "fund-waiting",
    )
    return req


def _tell_person(req: FundRequest, make: Any) -> bool:
    person = person_of(req)
    if person is None:
        return False
    with translation.override(person.language):
        return person_text(person, make(), "fund-decision")


@transaction.atomic
def request_decide(
    *,
    req: FundRequest,
    approver: User,
    verdict: str,
    reason: str,
    referral: Organization | None = None,
) -> FundRequest:
    """An approver's word, with its reason. The last approval needed pays the money out
    (a grant, or a bond's money to bonds outstanding) if the fund has it; otherwise the
    approval is refused and says why. A decline texts the person the referral."""
    fund = _lock(req.network)
    req = FundRequest.objects.select_for_update(of=("self",)).select_related("case").get(pk=req.pk)
    if not reason.strip():
        raise ValidationError(_("Write the reason."))
    if req.status != FundRequest.Status.WAITING:
        raise FundRefused(_("This request was already decided."))
    if req.requested_by_id == approver.pk:
        raise FundRefused(_("Nobody approves their own request."))
    if req.decisions.filter(approver=approver, verdict=verdict).exists():
        raise FundRefused(_("You already gave your word on this request; another approver must."))
    V, now = Decision.Verdict, timezone.now()
    if verdict == V.APPROVE and not eligibility(req).qualifies:
        raise FundRefused(
            _("The person does not meet the rule. Decline it, or grant an exception with a reason.")
        )
    decision = Decision.objects.create(
        request=req, case=req.case, approver=approver, verdict=verdict, reason=reason.strip()[:2000]
    )
    if verdict == V.DECLINE:
        req.status, req.decided_at, req.referral = FundRequest.Status.DECLINED, now, referral
        req.save(update_fields=["status", "decided_at", "referral"])
        _tell_person(req, lambda: _decline_text(req))
    elif verdict == V.APPROVE and req.decisions.filter(
        verdict=V.APPROVE
    ).count() >= approvals_needed(req):
        _spend(req.network, A.CASH, req.amount)
        bond = req.kind == Kind.BOND
        _post(
            network=req.network,
            kind=E.BOND if bond else E.GRANT,
            debit=A.BONDS if bond else A.GRANTS,
            credit=A.CASH,
            amount=req.amount,
            actor=approver,
            request=req,
        )
        req.status, req.decided_at = FundRequest.Status.PAID, now
        if bond:
            req.bond_state = BondState.objects.get(network=req.network, slug="approved")
        req.save(update_fields=["status", "decided_at", "bond_state"])
        _tell_person(
            req,
            lambda: (
                _(
                    "Amparo: the solidarity fund approved $%(amount)s for you. The team will call you."
                )
                % {"amount": req.amount}
            ),
        )
    # audited last: the audit chain's own lock must not be what keeps the fund whole
    _audit(decision, req.network, approver, ["verdict", "reason"], f"{verdict} request={req.pk}")
    del fund
    return req


def _decline_text(req: FundRequest) -> str:
    text = _("Amparo: the solidarity fund cannot help with this request.")
    if req.referral is not None:
        org = req.referral
        text += " " + _("Free legal help: %(name)s %(phone)s") % {
            "name": org.name,
            "phone": getattr(org, "phone", ""),
        }
    return text.strip()


# --- bonds ----------------------------------------------------------------------------


@transaction.atomic
def bond_posted(
    *, req: FundRequest, payer_kind: str, payer: str, receipt: str, actor: User
) -> FundRequest:
    """The bond was paid to ICE: who paid it (a citizen, a permanent resident or an
    organization) and the receipt."""
    if req.kind != Kind.BOND or req.status != FundRequest.Status.PAID:
        raise FundRefused(_("Only an approved bond can be posted."))
    req.payer_kind, req.payer, req.receipt = payer_kind, payer.strip()[:200], receipt.strip()[:200]
    req.bond_state = BondState.objects.get(network=req.network, slug="posted")
    req.save(update_fields=["payer_kind", "payer", "receipt", "bond_state"])
    _audit(req, req.network, actor, ["payer_kind", "payer", "receipt", "bond_state"], "bond posted")
    return req


@transaction.atomic
def bond_state_set(
    *, req: FundRequest, state: BondState, actor: User, amount: Decimal | None = None
) -> FundRequest:
    """Move a bond on. "refunded" posts the money back to cash, "forfeited" writes it
    off; neither may exceed what is still out."""
    _lock(req.network)
    req = FundRequest.objects.select_for_update().get(pk=req.pk)
    if (
        req.kind != Kind.BOND
        or req.status != FundRequest.Status.PAID
        or state.network_id != req.network_id
    ):
        raise FundRefused(_("Only a paid bond moves on."))
    if req.bond_state is not None and req.bond_state.ends:
        raise FundRefused(_("This bond is settled."))
    out = _refundable(req)
    if state.slug in ("refunded", "forfeited"):
        amount = out if amount is None else amount
        if amount > out or amount <= 0:
            raise FundRefused(_("At most $%(out)s of this bond is still out.") % {"out": out})
        refund = state.slug == "refunded"
        _post(
            network=req.network,
            kind=E.REFUND if refund else E.FORFEIT,
            debit=A.CASH if refund else A.FORFEITS,
            credit=A.BONDS,
            amount=amount,
            actor=actor,
            request=req,
        )
    req.bond_state = state
    req.save(update_fields=["bond_state"])
    _audit(req, req.network, actor, ["bond_state"], f"bond {state.slug}")
    return req


def refunds_chase(now: datetime | None = None) -> int:
    """Sweep: each bond still out whose case closed is asked of the case team, again
    every week until the refund is posted. Returns texts sent."""
    now = now or timezone.now()
    due = (
        FundRequest.objects.filter(
            kind=Kind.BOND,
            status=FundRequest.Status.PAID,
            case__closed_at__isnull=False,
            bond_state__ends=False,
        )
        .exclude(refund_chased_at__gt=now - CHASE_EVERY)
        .select_related("case")[:200]
    )
    sent = 0
    for req in due:
        with transaction.atomic():
            claimed = FundRequest.objects.filter(
                pk=req.pk, refund_chased_at=req.refund_chased_at
            ).update(refund_chased_at=now)
            if not claimed:
                continue
            sent += people_text(
                team_people(req.case),
                lambda req=req: (
                    _(
                        "Amparo: case %(n)s is closed; its bond of $%(amount)s must come back to the fund. Ask the court for the refund and tell the treasurer. %(link)s"
                    )
                    % {"n": req.case.pk, "amount": req.amount, "link": case_link(req.case)}
                ),
                "fund-refund",
            )
            _audit(req, req.network, None, ["refund_chased_at"], "refund chased")
    return sent


@transaction.atomic
def rule_set(*, fund: Fund, data: dict[str, Any], actor: User) -> Fund:
    for name, value in data.items():
        setattr(fund, name, value)
    fund.set_by, fund.set_at = actor, timezone.now()
    fund.save()
    _audit(fund, fund.network, actor, [*data, "set_by"], "rule set")
    return fund
