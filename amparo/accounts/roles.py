"""Capabilities (what code checks) and the default roles (data a network can change).

Code never asks "is this person a coordinator?"; it asks for a capability, and
roles grant capabilities. Names are data in every language the network offers.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class Cap:
    NETWORK_MANAGE = "network.manage"
    MEMBERS_VIEW = "members.view"
    MEMBERS_MANAGE = "members.manage"
    DISPATCH = "dispatch"
    HOTLINE = "hotline.answer"
    VERIFY = "reports.verify"
    LEGAL = "legal.cases"
    COMMITTEE = "committee.work"
    FUND_APPROVE = "fund.approve"
    FUND_LEDGER = "fund.ledger"  # the treasurer: the ledger, donations, bonds, reports
    SANDBOX = "sandbox.view"
    AUDIT_VIEW = "audit.view"
    MEMBERS_EXPORT = "members.export"  # exports and the printed phone tree: every name and number
    CHECKIN = "participation.checkin"
    TRAININGS = "trainings.manage"
    HOTLINE_SCHEDULE = "hotline.schedule"
    REPORTS_VIEW = "reports.view"  # the dispatcher console
    # Need-to-know: every hotline intake, and handing one to a responder. Without it a
    # responder sees the intakes they took and those assigned to them.
    HOTLINE_ALL_INTAKES = "hotline.all_intakes"
    # Need-to-know: every case, and putting people on a case's team. Without it a member
    # sees only the cases whose team they are on (cases/access.py).
    CASES_ALL = "cases.all"
    # I-9 audits and no-match letters at the workplaces a network follows (audits app)
    AUDITS = "audits.work"
    # The documents library: edit templates, print cards, fliers and posters (documents app)
    DOCUMENTS = "documents.manage"
    # Court accompaniment: every hearing's time and court (not the name), signing up
    ACCOMPANY = "court.accompany"


ALL_CAPS = sorted(v for k, v in vars(Cap).items() if k.isupper())

# (slug, position, name in English, in Spanish; description in English, in Spanish; capabilities)
_ROLES = [
    ("coordinator", 10, "Coordinator", "Coordinación",
     "Runs the network: people, roles, settings.",
     "Dirige la red: personas, roles y configuración.",
     ALL_CAPS),
    ("dispatcher", 20, "Dispatcher", "Despacho",
     "Watches reports and sends responders.",
     "Vigila los reportes y envía a las personas de respuesta.",
     [Cap.DISPATCH, Cap.MEMBERS_VIEW, Cap.SANDBOX, Cap.REPORTS_VIEW, Cap.VERIFY]),
    ("hotline", 30, "Hotline responder", "Línea de emergencia",
     "Answers the 24-hour hotline.",
     "Contesta la línea de emergencia de 24 horas.",
     [Cap.HOTLINE, Cap.SANDBOX]),
    ("verifier", 40, "Verifier", "Verificación",
     "Confirms reports before anyone is alerted.",
     "Confirma los reportes antes de alertar a nadie.",
     [Cap.VERIFY, Cap.REPORTS_VIEW]),
    ("legal", 50, "Legal", "Equipo legal",
     "Attorneys and legal workers on cases.",
     "Abogados y personal legal de los casos.",
     [Cap.LEGAL]),
    ("case-manager", 55, "Case manager", "Gestión de casos",
     "Follows detained workers' cases with their families and the attorneys.",
     "Da seguimiento a los casos de trabajadores detenidos con sus familias y los abogados.",
     [Cap.LEGAL]),
    ("accompanier", 58, "Court accompanier", "Acompañamiento a la corte",
     "Goes with families to court hearings.",
     "Acompaña a las familias a sus audiencias en la corte.",
     [Cap.ACCOMPANY]),
    ("committee", 60, "Committee member", "Integrante de comité",
     "Works on a subcommittee's tasks.",
     "Trabaja en las tareas de un subcomité.",
     [Cap.COMMITTEE, Cap.CHECKIN]),
    ("fund", 70, "Fund approver", "Aprobación del fondo",
     "Approves solidarity-fund requests.",
     "Aprueba solicitudes del fondo de solidaridad.",
     [Cap.FUND_APPROVE]),
    ("treasurer", 75, "Treasurer", "Tesorería",
     "Keeps the solidarity fund's books: donations, bonds, statements.",
     "Lleva las cuentas del fondo de solidaridad: donaciones, fianzas, estados.",
     [Cap.FUND_LEDGER]),
    ("steward", 80, "Steward", "Delegado/a sindical",
     "Follows a workplace: its I-9 audits, no-match letters and deadlines.",
     "Da seguimiento a un lugar de trabajo: sus auditorías I-9, cartas de no coincidencia y "
     "plazos.",
     [Cap.AUDITS, Cap.SANDBOX]),
]  # fmt: skip
DEFAULT_ROLES: list[dict[str, Any]] = [
    {
        "slug": slug,
        "position": position,
        "name": {"en": en, "es": es},
        "description": {"en": description_en, "es": description_es},
        "capabilities": capabilities,
    }
    for slug, position, en, es, description_en, description_es, capabilities in _ROLES
]

# What "Add a login" marks beside each role that holds the capability.
ROLE_MARKS: list[tuple[str, Any]] = [
    (Cap.MEMBERS_EXPORT, _("approves exports of people")),
    (Cap.MEMBERS_VIEW, _("sees people's names and numbers")),
]


def sync_default_roles(role_model: Any) -> None:
    """Create the default roles that are missing; leave a network's edits alone."""
    for spec in DEFAULT_ROLES:
        role_model.objects.get_or_create(
            slug=spec["slug"],
            defaults={k: v for k, v in spec.items() if k != "slug"},
        )


def grant_new_capabilities(role_model: Any, slug: str, capabilities: list[str]) -> None:
    """A data migration's step when a release adds capabilities to a default role."""
    role = role_model.objects.filter(slug=slug).first()
    if role is not None:
        role.capabilities = sorted(set(role.capabilities) | set(capabilities))
        role.save(update_fields=["capabilities"])
