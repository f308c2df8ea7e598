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

DEFAULT_ROLES: list[dict[str, Any]] = [
    {
        "slug": "coordinator",
        "position": 10,
        "name": {"en": "Coordinator", "es": "Coordinación"},
        "description": {
            "en": "Runs the network: people, roles, settings.",
            "es": "Dirige la red: personas, roles y configuración.",
        },
        "capabilities": ALL_CAPS,
    },
    {
        "slug": "dispatcher",
        "position": 20,
        "name": {"en": "Dispatcher", "es": "Despacho"},
        "description": {
            "en": "Watches reports and sends responders.",
            "es": "Vigila los reportes y envía a las personas de respuesta.",
        },
        "capabilities": [Cap.DISPATCH, Cap.MEMBERS_VIEW, Cap.SANDBOX, Cap.REPORTS_VIEW, Cap.VERIFY],
    },
    {
        "slug": "hotline",
        "position": 30,
        "name": {"en": "Hotline responder", "es": "Línea de emergencia"},
        "description": {
            "en": "Answers the 24-hour hotline.",
            "es": "Contesta la línea de emergencia de 24 horas.",
        },
        "capabilities": [Cap.HOTLINE, Cap.SANDBOX],
    },
    {
        "slug": "verifier",
        "position": 40,
        "name": {"en": "Verifier", "es": "Verificación"},
        "description": {
            "en": "Confirms reports before anyone is alerted.",
            "es": "Confirma los reportes antes de alertar a nadie.",
        },
        "capabilities": [Cap.VERIFY, Cap.REPORTS_VIEW],
    },
    {
        "slug": "legal",
        "position": 50,
        "name": {"en": "Legal", "es": "Equipo legal"},
        "description": {
            "en": "Attorneys and legal workers on cases.",
            "es": "Abogados y personal legal de los casos.",
        },
        "capabilities": [Cap.LEGAL],
    },
    {
        "slug": "case-manager",
        "position": 55,
        "name": {"en": "Case manager", "es": "Gestión de casos"},
        "description": {
            "en": "Follows detained workers' cases with their families and the attorneys.",
            "es": "Da seguimiento a los casos de trabajadores detenidos con sus familias "
            "y los abogados.",
        },
        "capabilities": [Cap.LEGAL],
    },
    {
        "slug": "accompanier",
        "position": 58,
        "name": {"en": "Court accompanier", "es": "Acompañamiento a la corte"},
        "description": {
            "en": "Goes with families to court hearings.",
            "es": "Acompaña a las familias a sus audiencias en la corte.",
        },
        "capabilities": [Cap.ACCOMPANY],
    },
    {
        "slug": "committee",
        "position": 60,
        "name": {"en": "Committee member", "es": "Integrante de comité"},
        "description": {
            "en": "Works on a subcommittee's tasks.",
            "es": "Trabaja en las tareas de un subcomité.",
        },
        "capabilities": [Cap.COMMITTEE, Cap.CHECKIN],
    },
    {
        "slug": "fund",
        "position": 70,
        "name": {"en": "Fund approver", "es": "Aprobación del fondo"},
        "description": {
            "en": "Approves solidarity-fund requests.",
            "es": "Aprueba solicitudes del fondo de solidaridad.",
        },
        "capabilities": [Cap.FUND_APPROVE],
    },
    {
        "slug": "treasurer",
        "position": 75,
        "name": {"en": "Treasurer", "es": "Tesorería"},
        "description": {
            "en": "Keeps the solidarity fund's books: donations, bonds, statements.",
            "es": "Lleva las cuentas del fondo de solidaridad: donaciones, fianzas, estados.",
        },
        "capabilities": [Cap.FUND_LEDGER],
    },
    {
        "slug": "steward",
        "position": 80,
        "name": {"en": "Steward", "es": "Delegado/a sindical"},
        "description": {
            "en": "Follows a workplace: its I-9 audits, no-match letters and deadlines.",
            "es": "Da seguimiento a un lugar de trabajo: sus auditorías I-9, cartas de "
            "no coincidencia y plazos.",
        },
        "capabilities": [Cap.AUDITS, Cap.SANDBOX],
    },
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
