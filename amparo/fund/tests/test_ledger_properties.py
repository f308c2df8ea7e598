"""The ledger cannot go wrong, whatever the treasurer and the approvers do in whatever
order: every entry's debit equals its credit (the accounts always sum to zero), no
account is ever overdrawn, and a bond never gives back more than was paid."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amparo.fund import services as s
from amparo.fund.models import BondState, FundRequest

pytestmark = pytest.mark.django_db

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("900"), places=2)
ops = st.lists(
    st.tuples(st.sampled_from(["donate", "grant", "bond", "refund", "forfeit"]), amounts),
    min_size=1,
    max_size=12,
)


#: what each operation does to each account (debit +, credit −)
MOVES = {
    "donate": [("cash", 1), ("donations", -1)],
    "grant": [("grants", 1), ("cash", -1)],
    "bond": [("bonds", 1), ("cash", -1)],
    "refund": [("cash", 1), ("bonds", -1)],
    "forfeit": [("forfeits", 1), ("bonds", -1)],
}


def _check(network, expected: dict[str, Decimal]) -> None:
    balances = s.balances(network)
    assert sum(balances.values()) == 0  # debits = credits
    assert balances == expected  # each operation moved exactly its amount, both sides
    assert balances["cash"] >= 0 and balances["bonds"] >= 0
    assert balances["donations"] <= 0  # a credit account: never "negative" money in
    for req in FundRequest.objects.filter(network=network, kind="bond"):
        assert 0 <= s.still_out(req) <= req.amount  # refunded + forfeited ≤ posted


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sequence=ops)
def test_any_sequence_of_operations_keeps_the_books(
    sequence, funded, case_a, legal_a, approver, treasurer
):
    with transaction.atomic():
        bonds: list[FundRequest] = []
        expected = s.balances(funded)
        s.Fund.objects.filter(network=funded).update(two_approvers_from=Decimal("10000"))
        for op, amount in sequence:
            try:
                if op == "donate":
                    s.donation_record(
                        network=funded,
                        amount=amount,
                        received_on=s.timezone.localdate(),
                        actor=treasurer,
                    )
                elif op in ("grant", "bond"):
                    req = s.request_create(
                        case=case_a,
                        kind="rent" if op == "grant" else "bond",
                        amount=amount,
                        purpose="p",
                        actor=legal_a,
                    )
                    s.request_decide(req=req, approver=approver, verdict="approve", reason="r")
                    bonds += [req] if op == "bond" else []
                elif bonds:
                    state = BondState.objects.get(
                        network=funded, slug="refunded" if op == "refund" else "forfeited"
                    )
                    s.bond_state_set(req=bonds[-1], state=state, actor=treasurer, amount=amount)
                else:
                    continue  # no bond yet to refund or forfeit
            except s.FundRefused:
                _check(funded, expected)  # refused: nothing moved
                continue
            for account, sign in MOVES[op]:
                expected[account] += sign * amount
            _check(funded, expected)
        transaction.set_rollback(True)
