"""A family member calls the hotline about someone detained.

The responder records a hand-off: the caller's number and the name asked about. A name
matching an open case (keyed-hash name tokens) tells the case's team at once and puts
the number on the case's timeline, sealed; otherwise the coordinators are told. Either
way the responder sees the same words: the hotline never tells who is detained."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User
from amparo.accounts.roles import Cap
from amparo.lib.crypto import name_search_filter
from amparo.lib.phones import normalize_phone
from amparo.people.services import people_with_capability
from amparo.people.texting import people_text

from .models import Case, CaseEvent, CaseHandoff
from .services import MAX_NAME, case_link, event_add, team_people

#: what the responder is told, whatever happened
HANDED = gettext_lazy("Handed to the legal team. They will call the family back.")


def handoff_matches(network: Network, name: str) -> list[Case]:
    """Open cases of ``network`` whose names hold every word of ``name`` (as prefixes)."""
    words = [w for w in name.split() if len(w) >= 2]
    if len(words) < 2:  # one word would match too widely: a given name and a family name
        return []
    query = name_search_filter("name_tokens", " ".join(words))
    return list(Case.objects.filter(network=network, closed_at__isnull=True).filter(query)[:5])


@transaction.atomic
def handoff_record(
    *,
    network: Network,
    responder: User | Any,
    caller_number: str,
    name_asked: str,
    intake: Any = None,
) -> CaseHandoff:
    """Record the hand-off and tell whoever must act. The caller learns nothing from it."""
    number = normalize_phone(caller_number or "")  # a translated ValidationError
    name = " ".join((name_asked or "").split())[:MAX_NAME]
    if not name:
        raise ValidationError({"name_asked": _("Write the name they ask about.")})
    matches = handoff_matches(network, name)
    handoff = CaseHandoff.objects.create(
        network=network,
        intake=intake,
        responder=responder,
        caller_number=number,
        name_asked=name,
        case=matches[0] if len(matches) == 1 else None,
    )
    audit_record(action=AuditEvent.Action.CREATE, actor=responder, network=network, obj=handoff)
    for case in matches:
        event_add(
            case,
            CaseEvent.Kind.HANDOFF,
            responder,
            # the number to call back and the name asked, in no one language
            note=f"{number} · {name}",
        )
        link = case_link(case)
        people_text(
            team_people(case),
            lambda case=case, link=link: (
                _(
                    "Amparo: a family member called the hotline about case %(n)s. "
                    "Call them back today: %(link)s"
                )
                % {"n": case.pk, "link": link}
            ),
            "case-handoff",
        )
    if not matches:
        people_text(
            people_with_capability(network, Cap.CASES_ALL),
            lambda: _(
                "Amparo: a family member called the hotline about someone without a case. "
                "See the hand-offs waiting on the cases page."
            ),
            "case-handoff",
        )
    return handoff


def handoffs_waiting(network: Network) -> int:
    """How many hand-offs matched no case yet (a count: no name, for the dashboard)."""
    return CaseHandoff.objects.filter(network=network, case__isnull=True).count()


@transaction.atomic
def handoff_attach(*, handoff: CaseHandoff, case: Case, actor: User | Any) -> None:
    """A case opened from a hand-off that matched none: the caller's number and the name
    asked go onto its timeline, sealed with the case's key, like a matched one."""
    if handoff.network_id != case.network_id:
        raise ValidationError(_("Choose one of the options."))
    handoff.case = case
    handoff.save(update_fields=["case"])
    event_add(
        case, CaseEvent.Kind.HANDOFF, actor, note=f"{handoff.caller_number} · {handoff.name_asked}"
    )
    audit_record(
        action=AuditEvent.Action.UPDATE,
        actor=actor,
        network=case.network,
        obj=handoff,
        fields=["case"],
    )
