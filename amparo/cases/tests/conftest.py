"""Small helpers for the cases tests: a legal team with phones, a case opened through
the service."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from amparo.accounts.models import Network, User
from amparo.cases.models import Case, CaseTeamRole
from amparo.cases.services import CaseInput, case_open, case_team_add
from amparo.tests.factories import PersonFactory, UserFactory


def member(network: Network, roles: list[str], *, language: str = "es", phone: str = "") -> User:
    """A login with ``roles`` and a person with a phone who can be texted."""
    user = UserFactory.create(network=network, roles=roles, language=language)
    kwargs: dict[str, Any] = {"network": network, "user": user, "language": language}
    if phone:
        kwargs["phone"] = phone
    PersonFactory.create(**kwargs)
    return user


def open_case(
    network: Network, actor: User, *, team: Sequence[tuple[User, str]] = (), **data: Any
) -> Case:
    data.setdefault("given_names", "Juan Carlos")
    data.setdefault("family_names", "Pérez López")
    incident = data.pop("incident", None)
    case = case_open(network=network, actor=actor, data=CaseInput(**data), incident=incident)
    for user, slug in team:
        case_team_add(
            case=case,
            user=user,
            role=CaseTeamRole.objects.get(network=network, slug=slug),
            actor=actor,
        )
    return case


@pytest.fixture
def legal_a(network_a: Network) -> User:
    return member(network_a, ["case-manager"], phone="+14135550301")


@pytest.fixture
def hotline_a(network_a: Network) -> User:
    return member(network_a, ["hotline"], phone="+14135550302")
