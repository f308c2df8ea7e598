"""What every new network starts with (DOMAIN.md §1), as data a coordinator can edit."""

from __future__ import annotations

from django.db import transaction

from amparo.accounts.models import Network

from .counts import people_changed
from .models import Committee, PersonRole, TrainingType

TRAINING_TYPES = [
    ("orientation", "Orientation", "Orientación", None),
    ("kyr", "Know your rights", "Conozca sus derechos", 730),
    ("rapid-responder", "Rapid responder", "Respuesta rápida", 365),
    ("legal-observer", "Legal observer", "Observación legal", 365),
    ("hotline", "Hotline", "Línea de emergencia", 365),
    ("verifier", "Verifier", "Verificación", 365),
    ("court-accompaniment", "Court accompaniment", "Acompañamiento a la corte", 365),
]

# (slug, English, Spanish, trainings required to count as available)
PERSON_ROLES = [
    ("member", "Member", "Miembro", []),
    ("hotline", "Hotline responder", "Línea de emergencia", ["hotline"]),
    ("rapid-responder", "Rapid responder", "Respuesta rápida", ["rapid-responder"]),
    ("verifier", "Verifier", "Verificación", ["verifier"]),
    ("legal-observer", "Legal observer", "Observación legal", ["legal-observer"]),
    ("attorney", "Attorney", "Abogado/a", []),
    ("driver", "Driver", "Transporte", []),
    (
        "court-accompanier",
        "Court accompanier",
        "Acompañamiento a la corte",
        ["orientation", "court-accompaniment"],
    ),
    ("childcare", "Childcare", "Cuidado de niños", ["orientation"]),
    ("interpreter", "Interpreter", "Interpretación", []),
]

COMMITTEES = [
    ("worker-committee", "Worker committee", "Comité de trabajadores", "worker"),
    ("education", "Education and research", "Educación e investigación", "sub"),
    ("media", "Media", "Medios", "sub"),
    ("fundraising", "Fundraising", "Recaudación de fondos", "sub"),
    ("solidarity", "Solidarity (rides and food)", "Solidaridad (transporte y comida)", "sub"),
    ("events", "Events", "Eventos", "sub"),
    ("childcare", "Childcare", "Cuidado de niños", "sub"),
    ("hotline-tech", "Hotline and technology", "Línea de emergencia y tecnología", "sub"),
]


@transaction.atomic
def install_defaults(network: Network) -> None:
    """Create the default training types, roles and committees that are missing."""
    types = {}
    for position, (slug, en, es, days) in enumerate(TRAINING_TYPES):
        types[slug], _ = TrainingType.objects.get_or_create(
            network=network,
            slug=slug,
            defaults={"name": {"en": en, "es": es}, "validity_days": days, "position": position},
        )
    for position, (slug, en, es, required) in enumerate(PERSON_ROLES):
        role, created = PersonRole.objects.get_or_create(
            network=network,
            slug=slug,
            defaults={"name": {"en": en, "es": es}, "position": position},
        )
        if created and required:
            role.required_trainings.set([types[r] for r in required])
            people_changed(network_id=network.pk)  # who counts as trained for it moved
    for position, (slug, en, es, kind) in enumerate(COMMITTEES):
        Committee.objects.get_or_create(
            network=network,
            slug=slug,
            defaults={"name": {"en": en, "es": es}, "kind": kind, "position": position},
        )
