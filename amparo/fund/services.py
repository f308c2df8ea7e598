"""The fund's writes, each audited: requests, decisions, bonds, donations, the ledger.
Whatever takes money out first takes the fund's lock (a row lock on PostgreSQL; SQLite's
transactions begin with the write lock), then reads the balance: two approvals racing
never spend the same dollars."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from amparo.accounts.access import Refused
from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User
from amparo.accounts.roles import Cap
from amparo.cases.models import Case
from amparo.cases.services import case_link, team_people
from amparo.people.identity import text_sender
from amparo.people.models import CommitteeMember, Organization, Person
from amparo.people.participation import participation_count
from amparo.people.services import people_with_capability
from amparo.people.texting import people_text, person_text

from .models import CENT, Account, BondState, Decision, Donation, Entry, Fund, FundRequest, Kind

A, E, V, S = Account, Entry.Kind, Decision.Verdict, FundRequest.Status
#: (slug, English, Spanish, ends): a new fund's bond states
BOND_STATES = [
    ("requested", "Requested", "Solicitada", False),
    ("approved", "Approved", "Aprobada", False),
    ("posted", "Posted", "Depositada", False),
    ("released", "Person released", "Persona liberada", False),
    ("in-court", "Case in court", "Caso en la corte", False),
    ("refunded", "Refunded", "Reembolsada", True),
    ("forfeited", "Forfeited", "Perdida", True),
]
#: the texts, translated when called (in each person's language)
TEXTS = {
    "waiting": lambda: _("Amparo: a fund request of $%(amount)s waits for your approval. %(link)s"),
    "refund": lambda: _(
        "Amparo: case %(n)s is closed; its bond of $%(amount)s must come back to the fund. "
        "Ask the court for the refund and tell the treasurer. %(link)s"
    ),
}
#: a bond whose case closed is asked back of the case team this often
CHASE_EVERY = timedelta(days=7)


class FundRefused(Refused):
    pass


def fund_of(network: Network) -> Fund:
    """The network's fund and bond states, made the first time they are needed."""
    fund, made = Fund.objects.get_or_create(network=network)
    for n, (slug, en, es, ends) in enumerate(BOND_STATES if made else []):
        names = {"name": {"en": en, "es": es}, "position": n * 10, "ends": ends}
        BondState.objects.get_or_create(network=network, slug=slug, defaults=names)
    return fund


def state(network: Network, slug: str) -> BondState:
    return BondState.objects.get(network=network, slug=slug)


def _audit(obj: Any, actor: Any, fields: list[str], note: str, created: bool = False) -> None:
    action = AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE
    audit_record(action=action, actor=actor, network=obj.network, obj=obj, fields=fields, note=note)


# --- the ledger ------------------------------------------------------------------------


def balances(network: Network, *, until: date | None = None) -> dict[str, Decimal]:
    """Each account's debits less credits (donations are negative), up to ``until`` included."""
    qs = Entry.objects.filter(network=network, **({"on__lte": until} if until else {}))
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for side, sign in (("debit", 1), ("credit", -1)):
        for account, amount in qs.values_list(side).annotate(s=Sum("amount")):
            totals[account] += sign * amount
    return {a: totals[a].quantize(CENT) for a in A.values}


def _post(
    network: Network, kind: str, debit: str, credit: str, amount: Decimal, actor: Any, **links: Any
) -> Entry:
    """Write one entry; the caller holds the fund's lock when money leaves an account."""
    links.setdefault("on", timezone.localdate())
    by = actor if getattr(actor, "is_authenticated", False) else None
    entry = Entry.objects.create(
        network=network,
        kind=kind,
        debit=debit,
        credit=credit,
        amount=amount,
        recorded_by=by,
        **links,
    )
    _audit(entry, actor, ["kind", "amount", "on"], kind, created=True)
    return entry


def still_out(req: FundRequest) -> Decimal:
    """What of a bond is still out: paid, less refunded and forfeited."""
    sums = dict(req.entries.values_list("kind").annotate(s=Sum("amount")))
    return Decimal(sums.get(E.BOND, 0) - sums.get(E.REFUND, 0) - sums.get(E.FORFEIT, 0)).quantize(
        CENT
    )


@transaction.atomic
def donation_record(
    *, network: Network, amount: Decimal, received_on: date, actor: Any, donor: str = ""
) -> Donation:
    """Money in: anonymous unless a donor's name is given for a receipt."""
    donor = donor.strip()[:200]
    donation = Donation.objects.create(
        network=network,
        amount=amount,
        received_on=received_on,
        donor=donor,
        wants_receipt=bool(donor),
        recorded_by=actor,
    )
    _post(
        network, E.DONATION, A.CASH, A.DONATIONS, amount, actor, donation=donation, on=received_on
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
    found = Eligibility(fund, person, exception=req.decisions.filter(verdict=V.EXCEPTION).first())
    if person is not None:
        found.activities = participation_count(
            person, timezone.now() - timedelta(days=fund.window_days)
        )
        members = CommitteeMember.objects.filter(person=person).select_related("committee")
        found.committees = [m.committee.label for m in members]
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
    their record and text them the decision. The approvers are told it waits."""
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
        bond_state=state(case.network, "requested") if kind == Kind.BOND else None,
    )
    _audit(req, actor, ["kind", "amount", "purpose", "person_ref"], "request", created=True)
    link = settings.BASE_URL + reverse("fund:request", kwargs={"pk": req.pk})
    approvers = people_with_capability(case.network, Cap.FUND_APPROVE)
    people_text(
        [p for p in approvers if p.user_id != actor.pk],
        lambda: TEXTS["waiting"]() % {"amount": amount, "link": link},
        "fund-waiting",
    )
    return req


def _tell(req: FundRequest, make: Any) -> None:
    person = person_of(req)
    if person is not None:
        with translation.override(person.language):
            person_text(person, make(), "fund-decision")


@transaction.atomic
def request_decide(
    *,
    req: FundRequest,
    approver: User,
    verdict: str,
    reason: str,
    referral: Organization | None = None,
) -> FundRequest:
    """An approver's word, with its reason. The last approval needed pays out (a bond: to
    bonds outstanding) if the fund has it, or refuses saying why; a decline texts the referral."""
    Fund.objects.select_for_update().get(pk=fund_of(req.network).pk)
    req = FundRequest.objects.select_for_update(of=("self",)).select_related("case").get(pk=req.pk)
    if not reason.strip():
        raise ValidationError(_("Write the reason."))
    if req.status != S.WAITING:
        raise FundRefused(_("This request was already decided."))
    if req.requested_by_id == approver.pk:
        raise FundRefused(_("Nobody approves their own request."))
    if req.decisions.filter(approver=approver, verdict=verdict).exists():
        raise FundRefused(_("You already gave your word on this request; another approver must."))
    if verdict == V.APPROVE and not eligibility(req).qualifies:
        raise FundRefused(
            _("The person does not meet the rule. Decline it, or grant an exception with a reason.")
        )
    decision = Decision.objects.create(
        request=req, case=req.case, approver=approver, verdict=verdict, reason=reason.strip()[:2000]
    )
    req.decided_at = timezone.now()
    if verdict == V.DECLINE:
        req.status, req.referral = S.DECLINED, referral
        _tell(req, lambda: _decline_text(req))
    elif verdict == V.APPROVE and req.decisions.filter(
        verdict=V.APPROVE
    ).count() >= approvals_needed(req):
        have = balances(req.network)[A.CASH]
        if have < req.amount:
            raise FundRefused(
                _("The fund has $%(have)s; this needs $%(need)s. Nothing was paid.")
                % {"have": have, "need": req.amount}
            )
        bond = req.kind == Kind.BOND
        _post(
            req.network,
            E.BOND if bond else E.GRANT,
            A.BONDS if bond else A.GRANTS,
            A.CASH,
            req.amount,
            approver,
            request=req,
        )
        req.status, req.bond_state = S.PAID, state(req.network, "approved") if bond else None
        _tell(
            req,
            lambda: (
                _(
                    "Amparo: the solidarity fund approved $%(amount)s for you. The team will call you."
                )
                % {"amount": req.amount}
            ),
        )
    if req.status != S.WAITING:
        req.save(update_fields=["status", "decided_at", "referral", "bond_state"])
    # audited last: the audit chain's own lock must not be what keeps the fund whole
    note = f"{verdict} request={req.pk}"
    audit_record(
        action=AuditEvent.Action.CREATE,
        actor=approver,
        network=req.network,
        obj=decision,
        fields=["verdict", "reason"],
        note=note,
    )
    return req


def _decline_text(req: FundRequest) -> str:
    text = _("Amparo: the solidarity fund cannot help with this request.")
    if req.referral is not None:
        text += " " + _("Free legal help: %(name)s %(phone)s") % {
            "name": req.referral.name,
            "phone": req.referral.phone,
        }
    return text.strip()


# --- bonds ----------------------------------------------------------------------------


@transaction.atomic
def bond_posted(
    *, req: FundRequest, payer_kind: str, payer: str, receipt: str, actor: User
) -> FundRequest:
    """The bond was paid to ICE: who paid it (ICE takes it from a citizen, a permanent
    resident or an organization) and the receipt."""
    if req.kind != Kind.BOND or req.status != S.PAID:
        raise FundRefused(_("Only an approved bond can be posted."))
    req.payer_kind, req.payer, req.receipt = payer_kind, payer.strip()[:200], receipt.strip()[:200]
    req.bond_state = state(req.network, "posted")
    req.save(update_fields=["payer_kind", "payer", "receipt", "bond_state"])
    _audit(req, actor, ["payer_kind", "payer", "receipt", "bond_state"], "bond posted")
    return req


@transaction.atomic
def bond_state_set(
    *, req: FundRequest, state: BondState, actor: User, amount: Decimal | None = None
) -> FundRequest:
    """Move a bond on. "refunded" posts the money back to cash, "forfeited" writes it
    off; neither more than is still out."""
    Fund.objects.select_for_update().get(pk=fund_of(req.network).pk)
    req = (
        FundRequest.objects.select_for_update(of=("self",))
        .select_related("bond_state")
        .get(pk=req.pk)
    )
    if req.kind != Kind.BOND or req.status != S.PAID or state.network_id != req.network_id:
        raise FundRefused(_("Only a paid bond moves on."))
    if req.bond_state is not None and req.bond_state.ends:
        raise FundRefused(_("This bond is settled."))
    out = still_out(req)
    if state.slug in ("refunded", "forfeited"):
        amount = out if amount is None else amount
        if not 0 < amount <= out:
            raise FundRefused(_("At most $%(out)s of this bond is still out.") % {"out": out})
        back = state.slug == "refunded"
        _post(
            req.network,
            E.REFUND if back else E.FORFEIT,
            A.CASH if back else A.FORFEITS,
            A.BONDS,
            amount,
            actor,
            request=req,
        )
    req.bond_state = state
    req.save(update_fields=["bond_state"])
    _audit(req, actor, ["bond_state"], f"bond {state.slug}")
    return req


def refunds_chase() -> int:
    """Sweep: a bond still out whose case closed is asked back of the case team, again
    every week until the refund is posted. Returns texts sent."""
    now = timezone.now()
    due = FundRequest.objects.filter(
        kind=Kind.BOND, status=S.PAID, case__closed_at__isnull=False, bond_state__ends=False
    )
    sent = 0
    for req in due.exclude(refund_chased_at__gt=now - CHASE_EVERY).select_related(
        "case", "network"
    )[:200]:
        with transaction.atomic():
            if not FundRequest.objects.filter(
                pk=req.pk, refund_chased_at=req.refund_chased_at
            ).update(refund_chased_at=now):
                continue  # another sweep claimed it
            values = {"n": req.case.pk, "amount": req.amount, "link": case_link(req.case)}
            sent += people_text(
                team_people(req.case), lambda v=values: TEXTS["refund"]() % v, "fund-refund"
            )
            _audit(req, None, ["refund_chased_at"], "refund chased")
    return sent


@transaction.atomic
def rule_set(*, fund: Fund, data: dict[str, Any], actor: User) -> Fund:
    """The worker committee's rule, as data; who set it and when."""
    Fund.objects.filter(pk=fund.pk).update(**data, set_by=actor, set_at=timezone.now())
    fund.refresh_from_db()
    _audit(fund, actor, [*data, "set_by"], "rule set")
    return fund
