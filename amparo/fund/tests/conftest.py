"""A fund with money, its approvers and treasurer, and a case to ask for."""

from __future__ import annotations

from decimal import Decimal

import pytest

from amparo.accounts.models import Network, User
from amparo.cases.models import Case
from amparo.cases.tests.conftest import legal_a, member, open_case  # noqa: F401 (a fixture)
from amparo.fund.services import donation_record, fund_of
from amparo.tests.factories import UserFactory


@pytest.fixture
def approver(network_a: Network) -> User:
    return member(network_a, ["fund"], language="en", phone="+14135550401")


@pytest.fixture
def approver2(network_a: Network) -> User:
    return member(network_a, ["fund"], language="es", phone="+14135550402")


@pytest.fixture
def treasurer(network_a: Network) -> User:
    return UserFactory.create(network=network_a, roles=["treasurer"])


@pytest.fixture
def case_a(network_a: Network, coordinator_a: User, legal_a: User) -> Case:
    return open_case(network_a, coordinator_a, team=[(legal_a, "case-manager")])


@pytest.fixture
def funded(network_a: Network, treasurer: User) -> Network:
    fund = fund_of(network_a)
    fund.min_activities, fund.two_approvers_from = 0, Decimal("500")
    fund.save()
    donation_record(
        network=network_a, amount=Decimal("1000"), received_on=fund.set_at.date(), actor=treasurer
    )
    return network_a
