"""Twenty approvals at once, from twenty connections, of requests whose sum exceeds what
the fund holds: the fund's row lock lets them pay one after the other, so the fund never
goes below zero and each refused approval says why. PostgreSQL only (SQLite has one
writer at a time anyway): run with DATABASE_URL set."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from amparo.fund import services as s
from amparo.fund.models import FundRequest

pytestmark = pytest.mark.django_db(transaction=True)


def test_twenty_parallel_approvals_never_overdraw(funded, case_a, legal_a, approver):
    if connection.vendor != "postgresql":
        pytest.skip("the row lock under real concurrency needs PostgreSQL")
    requests = [
        s.request_create(
            case=case_a, kind="rent", amount=Decimal("75"), purpose="rent", actor=legal_a
        )
        for _ in range(20)
    ]  # $1,500 asked of $1,000
    barrier, outcomes = threading.Barrier(20), {}

    def approve(req: FundRequest) -> None:
        try:
            FundRequest.objects.filter(pk=req.pk).exists()  # connected before the start
            barrier.wait()
            s.request_decide(req=req, approver=approver, verdict="approve", reason="urgent rent")
            outcomes[req.pk] = "paid"
        except s.FundRefused as refused:
            outcomes[req.pk] = str(refused.message)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(r,)) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    paid = [pk for pk, said in outcomes.items() if said == "paid"]
    refused = [said for said in outcomes.values() if said != "paid"]
    assert len(paid) == 13 and len(refused) == 7  # 13 × $75 = $975 of $1,000
    assert all("The fund has $25.00; this needs $75.00" in said for said in refused)
    assert s.balances(funded)["cash"] == Decimal("25.00")
    assert FundRequest.objects.filter(status="paid").count() == 13
