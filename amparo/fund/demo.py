"""The demo's fund (demo.json): $10,000 raised over a year, grants, two posted bonds (one
refunded) and a declined request with its referral. Fiction; runs once per network."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import cast

from django.db.models import Count
from django.utils import timezone

from amparo.accounts.models import Network, User
from amparo.cases.models import Case
from amparo.people.models import Attendance, Organization, Person
from amparo.people.texting import person_sms_number

from . import services as s
from .models import Entry, FundRequest

DATA = json.loads((Path(__file__).parent / "demo.json").read_text(encoding="utf-8"))


def seed_fund(network: Network) -> int:
    """Seed the fund once; returns how many requests it made."""
    if FundRequest.objects.filter(network=network).exists():
        return 0
    who = ("treasurer", "fund", "coordinator", "cases")
    treasurer, approver, second, asker = (
        cast(User, User.objects.find_by_email(f"{w}@valle.example")) for w in who
    )
    today, now = timezone.localdate(), timezone.now()
    for months, amount, donor in DATA["donations"]:
        on = today - timedelta(days=30 * months + 3)
        s.donation_record(
            network=network, amount=Decimal(amount), received_on=on, actor=treasurer, donor=donor
        )
    active = Attendance.objects.filter(activity__network=network).values("person")
    members = Person.objects.filter(
        pk__in=active.annotate(n=Count("id")).filter(n__gte=2).values("person")
    )
    phones = [n for n in (person_sms_number(p) for p in members[:10]) if n] + [""] * 6
    cases = list(Case.objects.filter(network=network).order_by("pk")[:6])
    for n, (kind, amount, days, purpose) in enumerate(DATA["paid"]):
        ask = {"kind": kind, "amount": Decimal(amount), "purpose": purpose, "actor": asker}
        req = s.request_create(case=cases[n], phone=phones[n], **ask)
        if not s.eligibility(req).qualifies:
            s.request_decide(
                req=req, approver=second, verdict="exception", reason="Ayudó en la huelga"
            )
        for by in (approver, second)[: s.approvals_needed(req)]:
            req = s.request_decide(
                req=req, approver=by, verdict="approve", reason="Cumple la regla"
            )
        when = now - timedelta(days=days)  # history, as it happened
        FundRequest.objects.filter(pk=req.pk).update(created_at=when, decided_at=when)
        Entry.objects.filter(request=req).update(on=when.date())
        if kind == "bond":
            payer = {
                "payer_kind": "citizen",
                "payer": "Rosa Ciudadana (demo)",
                "receipt": f"ICE-{req.pk:05d}",
            }
            req = s.bond_posted(req=req, actor=treasurer, **payer)
            if amount == 1500:
                s.bond_state_set(req=req, state=s.state(network, "refunded"), actor=treasurer)
    clinic = Organization.objects.filter(network=network, kind="legal").order_by("pk").first()
    ask = {"kind": "rent", "amount": Decimal(800), "purpose": "Renta (ficción)", "actor": asker}
    declined = s.request_create(case=cases[-1], **ask)
    s.request_decide(
        req=declined,
        approver=approver,
        verdict="decline",
        reason="No participa en la organización",
        referral=clinic,
    )
    return len(DATA["paid"]) + 1
