"""Who may open a case (accounts/access.py, accounts/needtoknow.py).

A case is need-to-know: only its team (an Assignment per team member) and the members
holding ``Cap.CASES_ALL`` (coordinators) open it. Any other case answers 404, exactly
like another network's, so a page never confirms that a person has a case."""

from __future__ import annotations

from django.db import models

from amparo.accounts.access import getter
from amparo.accounts.models import Network, User
from amparo.accounts.roles import Cap

from .models import Case

#: the sealed fields, left out where a page shows no names
SEALED = ("given_names", "family_names", "a_number", "country_of_birth", "details", "notes")

get_case_for_user = getter(
    Case.objects.select_related("state", "facility", "incident", "referral"),
    # No capability: an accompanier on the team may be a volunteer without the legal
    # role. Whoever is neither on the team nor a coordinator gets 404, never 403, so
    # the answer is the same whether the case exists or not.
    capability=None,
    all_cap=Cap.CASES_ALL,
)


def cases_on_my_team(user: User, network: Network, *, limit: int = 10) -> list[Case]:
    """The open cases whose team ``user`` is on, for the home page (no names), most urgent
    first: a running 72-hour clock before none, then the least time left."""
    clock_runs = models.Case(
        models.When(counsel_reached_at__isnull=True, detained_at__isnull=False, then=0), default=1
    )
    return list(
        Case.objects.filter(network=network, closed_at__isnull=True, team__user=user)
        .select_related("state")
        .defer(*SEALED)
        .distinct()
        .annotate(clock_runs=clock_runs)
        .order_by("clock_runs", "detained_at", "-created_at", "-id")[:limit]
    )
