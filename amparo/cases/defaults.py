"""What every new network's cases start with: the states and the team roles, as data."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from amparo.accounts.models import Network

from .models import CaseState, CaseTeamRole

# (slug, English, Spanish, closes, counsel)
CASE_STATES = [
    ("reported", "Reported", "Reportado", False, False),
    ("detained", "Detained", "Detenido/a", False, False),
    ("counsel", "Counsel reached", "Con abogado/a", False, True),
    ("bond", "Bond", "Fianza", False, True),
    ("released", "Released", "Liberado/a", False, True),
    ("transferred", "Transferred", "Trasladado/a", False, False),
    ("removed", "Removed", "Deportado/a", False, False),
    ("open", "Open (workplace or hate crime)", "Abierto (trabajo o crimen de odio)", False, False),
    ("closed", "Closed", "Cerrado", True, False),
]

CASE_TEAM_ROLES = [
    ("case-manager", "Case manager", "Gestión del caso"),
    ("attorney", "Attorney", "Abogado/a"),
    ("accompanier", "Accompanier", "Acompañante"),
]


def install_case_defaults(network: Any, state_model: Any, role_model: Any) -> None:
    for position, (slug, en, es, closes, counsel) in enumerate(CASE_STATES):
        state_model.objects.get_or_create(
            network=network,
            slug=slug,
            defaults={
                "name": {"en": en, "es": es},
                "position": position * 10,
                "closes": closes,
                "counsel": counsel,
            },
        )
    for position, (slug, en, es) in enumerate(CASE_TEAM_ROLES):
        role_model.objects.get_or_create(
            network=network,
            slug=slug,
            defaults={"name": {"en": en, "es": es}, "position": position * 10},
        )


@transaction.atomic
def install_defaults(network: Network) -> None:
    install_case_defaults(network, CaseState, CaseTeamRole)
