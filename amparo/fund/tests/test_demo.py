"""The demo's fund: $10,000 raised over a year, grants, two posted bonds (one refunded),
a declined request with its referral; the treasurer's statement balances."""

from __future__ import annotations

from decimal import Decimal

import pytest

from amparo.core.demo import seed_demo
from amparo.fund import services as s
from amparo.fund.demo import seed_fund
from amparo.fund.models import FundRequest


@pytest.mark.django_db
def test_the_demo_fund():
    seed_demo()
    valle = FundRequest.objects.get(status="declined").network
    balances = s.balances(valle)
    assert balances["donations"] == Decimal("-10000.00")
    assert balances["bonds"] == Decimal("2000.00")  # one of the two bonds came back
    assert balances["cash"] == Decimal("10000") - 600 - 300 - 2000 - 450
    bonds = FundRequest.objects.filter(network=valle, kind="bond", payer__isnull=False)
    assert sorted(str(b.bond_state and b.bond_state.slug) for b in bonds) == ["posted", "refunded"]
    declined = FundRequest.objects.get(network=valle, status="declined")
    assert declined.referral is not None and declined.decisions.get().reason
    assert seed_fund(valle) == 0  # once
