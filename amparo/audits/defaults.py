"""What every network starts with for I-9 audits (DOMAIN.md §6), as data a coordinator
can change: the kinds of notice and their deadlines, which I-9 errors are technical or
substantive (ICE fact sheet of 2026-03-16), and the state rules."""

from __future__ import annotations

from datetime import date
from typing import Any

from .models import ActionStep, ErrorRule, NoticeKind, StateRule

# (slug, English, Spanish, rule, days, starts_audit)
NOTICE_KINDS = [
    ("inspection", "Notice of Inspection", "Aviso de Inspección", "business", 3, True),
    ("results", "Notice of Inspection Results", "Aviso de Resultados de la Inspección",
     "none", 0, False),
    ("technical", "Notice of Technical or Procedural Failures",
     "Aviso de Fallas Técnicas o de Procedimiento", "business", 10, False),
    ("suspect", "Notice of Suspect Documents", "Aviso de Documentos Sospechosos",
     "on_notice", 0, False),
    ("discrepancies", "Notice of Discrepancies", "Aviso de Discrepancias", "on_notice", 0, False),
    ("warning", "Warning Notice", "Aviso de Advertencia", "none", 0, False),
    ("intent-to-fine", "Notice of Intent to Fine", "Aviso de Intención de Multar",
     "calendar", 30, False),
]  # fmt: skip

SINCE_2026 = date(2026, 3, 16)
# (slug, English, Spanish, category, since)
ERROR_RULES = [
    ("missing-birth-date", "Missing date of birth", "Falta la fecha de nacimiento",
     "substantive", SINCE_2026),
    ("missing-hire-date", "Missing date of hire", "Falta la fecha de contratación",
     "substantive", SINCE_2026),
    ("missing-document-details", "Missing document title, number or expiry",
     "Faltan el título, el número o el vencimiento del documento", "substantive", SINCE_2026),
    ("spanish-form-outside-pr", "Spanish-language form used outside Puerto Rico",
     "Formulario en español usado fuera de Puerto Rico", "substantive", SINCE_2026),
    ("missing-preparer", "Preparer or translator section incomplete",
     "Sección del preparador o traductor incompleta", "technical", None),
    ("missing-employer-address", "Employer's address missing in section 2",
     "Falta la dirección del empleador en la sección 2", "technical", None),
]  # fmt: skip

# (state, slug, law, notice kind, hours, English, Spanish)
STATE_RULES = [
    ("CA", "ca-noi-posting", "California Labor Code 90.2", "inspection", 72,
     "The employer posts a notice of the inspection for workers and tells the union.",
     "El empleador publica un aviso de la inspección para los trabajadores y avisa al "
     "sindicato."),
    ("CA", "ca-results-copies", "California Labor Code 90.2", "results", 72,
     "Each affected worker and the union get a copy of the inspection results.",
     "Cada trabajador afectado y el sindicato reciben una copia de los resultados."),
    ("IL", "il-noi-posting", "Illinois Right to Privacy in the Workplace Act", "inspection", 72,
     "The employer posts a notice of the inspection for workers and tells the union.",
     "El empleador publica un aviso de la inspección para los trabajadores y avisa al "
     "sindicato."),
    ("IL", "il-results-copies", "Illinois Right to Privacy in the Workplace Act", "results", 72,
     "Each affected worker and the union get a copy of the inspection results.",
     "Cada trabajador afectado y el sindicato reciben una copia de los resultados."),
]  # fmt: skip

# (slug, English, Spanish, business days after the NOI or None, opens with the audit).
# The information request goes out at once; the demand to bargain before the employer
# hands over the I-9s; a grievance or NLRB charge when the employer acts alone.
ACTION_STEPS = [
    ("info_request", "request information", "solicitar información", 1, True),
    ("bargain", "demand to bargain over the effects", "exigir negociar los efectos", 3, True),
    ("grievance", "grievance", "queja (grievance)", None, False),
    ("nlrb", "charge at the NLRB", "cargo ante la NLRB", None, False),
]


def install_steps(network: Any, action_step: Any) -> None:
    for position, (slug, en, es, days, first) in enumerate(ACTION_STEPS):
        action_step.objects.get_or_create(
            network=network,
            slug=slug,
            defaults={"name": {"en": en, "es": es}, "days": days, "opens_with_audit": first,
                      "position": position},
        )  # fmt: skip


def install(network: Any, *, notice_kind: Any, error_rule: Any, state_rule: Any) -> None:
    """Create the missing rows (a network's edits stay); models are passed for data migrations."""
    kinds = {}
    for position, (slug, en, es, rule, days, starts) in enumerate(NOTICE_KINDS):
        kinds[slug], _ = notice_kind.objects.get_or_create(
            network=network,
            slug=slug,
            defaults={
                "name": {"en": en, "es": es},
                "rule": rule,
                "days": days,
                "starts_audit": starts,
                "position": position,
            },
        )
    for position, (slug, en, es, category, since) in enumerate(ERROR_RULES):
        error_rule.objects.get_or_create(
            network=network,
            slug=slug,
            defaults={
                "name": {"en": en, "es": es},
                "category": category,
                "since": since,
                "position": position,
            },
        )
    for position, (state, slug, law, kind, hours, en, es) in enumerate(STATE_RULES):
        state_rule.objects.get_or_create(
            network=network,
            slug=slug,
            defaults={
                "state": state,
                "law": law,
                "notice_kind": kinds[kind],
                "hours": hours,
                "duty": {"en": en, "es": es},
                "position": position,
            },
        )


def install_defaults(network: Any) -> None:
    """NETWORK_SETUP's step for a new network."""
    install(network, notice_kind=NoticeKind, error_rule=ErrorRule, state_rule=StateRule)
    install_steps(network, ActionStep)
