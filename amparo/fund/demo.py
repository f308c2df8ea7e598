"""The demo's fund: $10,000 raised over a year, grants, two posted bonds (one refunded)
and a declined request with its referral. Fiction; runs once per network."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import cast

from django.db.models import Count
from django.utils import timezone

from amparo.accounts.models import Network, User
from amparo.cases.models import Case
from amparo.people.models import Attendance, Organization, Person
from amparo.people.texting import person_sms_number

from . import services as s
from .models import BondState, Entry, FundRequest

#: (months ago, amount, donor for a receipt or "" for anonymous): $10,000 in all
DONATIONS = [(12, 3000, ""), (11, 500, "Iglesia San José (demo)"), (10, 750, ""), (9, 400, "")]
DONATIONS += [(m, 650, "") for m in range(8, 0, -1)] + [(0, 150, "")]
#: (kind, amount, days ago, what it is for)
PAID = [
    ("rent", 600, 200, "Renta de marzo tras el despido por organizar (ficción)"),
    ("medical", 300, 120, "Medicinas tras la redada (ficción)"),
    ("bond", 1500, 90, "Fianza antes del traslado (ficción)"),
    ("bond", 2000, 40, "Fianza fijada por la jueza (ficción)"),
    ("funeral", 450, 15, "Gastos del funeral (ficción)"),
]


def seed_fund(network: Network) -> int:
    """Seed the fund once; returns how many requests it made."""
    if FundRequest.objects.filter(network=network).exists():
        return 0
    treasurer, approver, second, asker = (
        cast(User, User.objects.find_by_email(f"{who}@valle.example"))
        for who in ("treasurer", "fund", "coordinator", "cases")
    )
    today = timezone.localdate()
    for months, amount, donor in DONATIONS:
        s.donation_record(
            network=network,
            amount=Decimal(amount),
            donor=donor,
            actor=treasurer,
            received_on=today - timedelta(days=30 * months + 3),
        )
    active = Attendance.objects.filter(activity__network=network).values("person")
    members = Person.objects.filter(
        pk__in=active.annotate(n=Count("id")).filter(n__gte=2).values("person")
    )
    phones = [n for n in (person_sms_number(p) for p in members[:10]) if n] + [""] * 6
    cases = list(Case.objects.filter(network=network).order_by("pk")[: len(PAID) + 1])
    for n, (kind, amount, days, purpose) in enumerate(PAID):
        req = s.request_create(
            case=cases[n],
            kind=kind,
            amount=Decimal(amount),
            purpose=purpose,
            actor=asker,
            phone=phones[n],
        )
        if not s.eligibility(req).qualifies:
            s.request_decide(
                req=req, approver=second, verdict="exception", reason="Ayudó en la huelga (ficción)"
            )
        for who in (approver, second)[: s.approvals_needed(req)]:
            s.request_decide(
                req=req, approver=who, verdict="approve", reason="Cumple la regla del fondo"
            )
        when = timezone.now() - timedelta(days=days)
        FundRequest.objects.filter(pk=req.pk).update(created_at=when, decided_at=when)
        Entry.objects.filter(request=req).update(on=when.date())  # history, as it happened
        if kind == "bond":
            req.refresh_from_db()
            s.bond_posted(
                req=req,
                payer_kind="citizen",
                payer="Rosa Ciudadana (demo)",
                receipt=f"ICE-{req.pk:05d}",
                actor=treasurer,
            )
    first_bond = FundRequest.objects.filter(network=network, kind="bond").order_by("pk").first()
    if first_bond is not None:
        s.bond_state_set(
            req=first_bond,
            state=BondState.objects.get(network=network, slug="refunded"),
            actor=treasurer,
        )
    declined = s.request_create(
        case=cases[-1], kind="rent", amount=Decimal(800), purpose="Renta (ficción)", actor=asker
    )
    s.request_decide(
        req=declined,
        approver=approver,
        verdict="decline",
        reason="No participa en la organización",
        referral=Organization.objects.filter(network=network, kind="legal").order_by("pk").first(),
    )
    return len(PAID) + 1
