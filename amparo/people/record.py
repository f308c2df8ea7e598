"""The worker committee's record, demands and the enforcement of commitments.

- Decisions carry a text per language the committee wrote (:func:`decision_texts`
  shows a missing one as missing, never a machine translation); members see the
  current ones on their dashboard.
- A demand's status is data: drafted → delivered → won / partly / refused
  (``DEMAND_MOVES``); a commitment is recorded for a demand won (or partly won).
- Enforcement: :func:`commitment_checks_due` (a sweep) opens a check for each commitment
  whose day has come; a check answered "broken", or left unanswered ``CHECK_GRACE_DAYS``
  after it fell due, is raised to the coordinators once — a text through the outbox and
  the dashboard's "Commitments to enforce" card, which shows the contact sheet's entry
  for the official (:func:`enforcement_alerts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User, localized
from amparo.accounts.roles import Cap

from .models import (
    Activity,
    Commitment,
    CommitmentCheck,
    Committee,
    Decision,
    Demand,
    Organization,
    Place,
    Priority,
)
from .services import people_with_capability
from .texting import person_text

#: a check left unanswered this many days after it fell due is raised
CHECK_GRACE_DAYS = 3
#: at most this many checks opened or raised per sweep (the next sweep takes the rest)
SWEEP_BATCH = 200

DS = Demand.Status
DEMAND_MOVES: dict[str, set[str]] = {
    DS.DRAFTED: {DS.DELIVERED},
    DS.DELIVERED: {DS.WON, DS.PARTLY, DS.REFUSED},
    DS.PARTLY: {DS.WON, DS.REFUSED},
    DS.WON: set(),
    DS.REFUSED: {DS.DELIVERED},  # asked again
}
OUT = CommitmentCheck.Outcome


def _clean_texts(texts: dict[str, str], network: Network) -> dict[str, str]:
    allowed = set(network.languages or ["en"])
    return {
        lang: (text or "").strip()
        for lang, text in texts.items()
        if lang in allowed and (text or "").strip()
    }


# --- priorities and decisions ----------------------------------------------------------


def priority_create(
    *,
    network: Network,
    name: dict[str, str],
    show_on_signup: bool = False,
    actor: User | None = None,
) -> Priority:
    names = _clean_texts(name, network)
    if not names:
        raise ValidationError(_("Name the priority in at least one language."), code="required")
    priority = Priority.objects.create(network=network, name=names, show_on_signup=show_on_signup)
    audit_record(
        action=AuditEvent.Action.CREATE,
        actor=actor,
        obj=priority,
        fields=["name", "show_on_signup"],
    )
    return priority


def _decision_text(
    network: Network, texts: dict[str, str], meeting: Activity | None, priorities: Any
) -> dict[str, str]:
    cleaned = _clean_texts(texts, network)
    if not cleaned:
        raise ValidationError(_("Write the decision in at least one language."), code="required")
    if meeting is not None and meeting.network_id != network.pk:
        raise ValidationError(_("Unknown meeting."), code="other_network")
    if any(p.network_id != network.pk for p in priorities):
        raise ValidationError(_("Unknown priority."), code="other_network")
    return cleaned


@transaction.atomic
def decision_record(
    *,
    committee: Committee,
    texts: dict[str, str],
    decided_on: date | None = None,
    meeting: Activity | None = None,
    priorities: list[Priority] | tuple[Priority, ...] = (),
    actor: User | None = None,
) -> Decision:
    network = committee.network
    decision = Decision.objects.create(
        network=network,
        committee=committee,
        meeting=meeting,
        decided_on=decided_on or timezone.localdate(),
        text=_decision_text(network, texts, meeting, priorities),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    decision.priorities.set(priorities)
    audit_record(
        action=AuditEvent.Action.CREATE,
        actor=actor,
        obj=decision,
        fields=["committee", "meeting", "decided_on", "text", "priorities"],
    )
    return decision


@dataclass(frozen=True)
class DecisionText:
    language: str
    text: str  # "" when the committee did not write it in this language


def decision_texts(decision: Decision, languages: list[str]) -> list[DecisionText]:
    """The decision in each of ``languages``, in that order; a missing one has no text."""
    return [DecisionText(lang, decision.text.get(lang, "")) for lang in languages]


def signup_priorities(network: Network, language: str | None = None) -> list[str]:
    """The current priorities the committee chose to show on the public sign-up page."""
    rows = Priority.objects.filter(network=network, is_current=True, show_on_signup=True)
    return [text for text in (localized(p.name, language) for p in rows) if text]


def current_decisions(network: Network, *, limit: int = 5) -> QuerySet[Decision]:
    return (
        Decision.objects.filter(network=network, is_current=True)
        .select_related("committee")
        .prefetch_related("priorities")[:limit]
    )


# --- demands --------------------------------------------------------------------------


def _demand_fields(
    network: Network,
    target_name: str,
    what: str,
    target: Organization | None,
    decision: Decision | None,
    research: str,
) -> dict[str, object]:
    target_name = (target_name or "").strip() or (target.name if target else "")
    what = (what or "").strip()
    if not target_name:
        raise ValidationError(_("Say to whom the demand is made."), code="required")
    if not what:
        raise ValidationError(_("Say what is demanded."), code="required")
    for row in (target, decision):
        if row is not None and row.network_id != network.pk:
            raise ValidationError(_("Unknown organization or decision."), code="other_network")
    return {"target": target, "target_name": target_name, "what": what, "decision": decision,
            "research": (research or "").strip()}  # fmt: skip


def demand_create(
    *,
    network: Network,
    target_name: str,
    what: str,
    target: Organization | None = None,
    decision: Decision | None = None,
    research: str = "",
    actor: User | None = None,
) -> Demand:
    fields = _demand_fields(network, target_name, what, target, decision, research)
    demand = Demand.objects.create(network=network, **fields)
    audit_record(action=AuditEvent.Action.CREATE, actor=actor, obj=demand, fields=list(fields))
    return demand


@transaction.atomic
def demand_move(
    *, demand: Demand, status: str, on: date | None = None, actor: User | None = None
) -> Demand:
    demand = Demand.objects.select_for_update().get(pk=demand.pk)
    if status not in DEMAND_MOVES.get(demand.status, set()):
        raise ValidationError(
            _("A demand cannot go from %(from)s to %(to)s.")
            % {
                "from": demand.get_status_display(),
                "to": DS(status).label if status in DS.values else status,
            },
            code="bad_move",
        )
    demand.status = status
    demand.updated_at = timezone.now()
    fields = ["status", "updated_at"]
    if status == DS.DELIVERED:
        demand.asked_on = on or timezone.localdate()
        fields.append("asked_on")
    demand.save(update_fields=fields)
    audit_record(action=AuditEvent.Action.UPDATE, actor=actor, obj=demand, fields=fields)
    return demand


def commitment_add(
    *,
    demand: Demand,
    promise: str,
    evidence: str = "",
    evidence_link: str = "",
    check_every_days: int = 30,
    first_check_on: date | None = None,
    warns_town: Place | None = None,
    actor: User | None = None,
) -> Commitment:
    if demand.status not in (DS.WON, DS.PARTLY):
        raise ValidationError(
            _("Record a commitment once the demand is won or partly won."), code="not_won"
        )
    fields = _commitment_fields(promise, evidence, evidence_link, check_every_days)
    commitment = Commitment.objects.create(
        demand=demand,
        warns_town=warns_town
        if warns_town and warns_town.network_id == demand.network_id
        else None,
        next_check_on=first_check_on or timezone.localdate() + timedelta(days=check_every_days),
        **fields,
    )
    audit_record(
        action=AuditEvent.Action.CREATE,
        actor=actor,
        network=demand.network,
        obj=commitment,
        fields=[*fields, "next_check_on"],
    )
    return commitment


def _commitment_fields(promise: str, evidence: str, link: str, every: int) -> dict[str, Any]:
    promise = (promise or "").strip()
    if not promise:
        raise ValidationError(_("Say what exactly was promised."), code="required")
    if not 1 <= every <= 365:
        raise ValidationError(_("Check every 1 to 365 days."), code="every")
    return {"promise": promise, "evidence": (evidence or "").strip(),
            "evidence_link": link or "", "check_every_days": every}  # fmt: skip


# --- editing the record ------------------------------------------------------------------


def record_update(obj: Model, changes: dict[str, Any], *, network: Network, actor: Any,
                  also: list[str] | None = None) -> list[str]:  # fmt: skip
    """Save and log the fields of ``changes`` that differ (and ``also``, saved by the
    caller): an edit of a meeting, decision, demand or commitment."""
    changed = [k for k, v in changes.items() if getattr(obj, k) != v]
    for name in changed:
        setattr(obj, name, changes[name])
    if changed:
        stamp = ["updated_at"] if hasattr(obj, "updated_at") else []
        obj.updated_at = timezone.now()  # type: ignore[attr-defined]
        obj.save(update_fields=changed + stamp)
    if changed or also:
        fields = [*changed, *(also or [])]
        audit_record(action=AuditEvent.Action.UPDATE, actor=actor, network=network, obj=obj,
                     fields=fields)  # fmt: skip
    return changed


def history(obj: Model, *, limit: int = 20) -> QuerySet[AuditEvent]:
    """Who changed ``obj`` when, and which fields (the audit log; values stay out)."""
    return (
        AuditEvent.objects.filter(target_type=obj._meta.label_lower, target_id=str(obj.pk))
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )


@transaction.atomic
def decision_update(
    *, decision: Decision, priorities: list[Priority], actor: User | None = None, **given: Any
) -> list[str]:
    """Edit a decision; a language emptied is shown as not written from now on."""
    network, meeting = decision.network, given["meeting"]
    text = _decision_text(network, given["texts"], meeting, priorities)
    before = set(decision.priorities.values_list("pk", flat=True))
    also = [] if before == {p.pk for p in priorities} else ["priorities"]
    decision.priorities.set(priorities)
    changes = {"text": text, "decided_on": given["decided_on"], "meeting": meeting}
    return record_update(decision, changes, network=network, actor=actor, also=also)


def demand_update(*, demand: Demand, actor: User | None = None, **given: Any) -> list[str]:
    """Edit a demand's who, what, research and decision (its status moves apart)."""
    changes = _demand_fields(
        demand.network, given["target_name"], given["what"], given["target"],
        given["decision"], given["research"],
    )  # fmt: skip
    return record_update(demand, changes, network=demand.network, actor=actor)


def commitment_update(*, commitment: Commitment, actor: Any = None, **given: Any) -> list[str]:
    """Edit what was promised, its evidence, how often it is checked, whether still."""
    names = ["promise", "evidence", "evidence_link", "check_every_days"]
    changes = {**_commitment_fields(*(given[n] for n in names)), "is_active": given["is_active"]}
    return record_update(commitment, changes, network=commitment.demand.network, actor=actor)


# --- enforcement ------------------------------------------------------------------------


def check_open(commitment: Commitment, due_on: date | None = None) -> CommitmentCheck:
    """Open a check now (also the playbook step "check the official did it" after a
    raid). One per commitment and day."""
    check, _created = CommitmentCheck.objects.get_or_create(
        commitment=commitment, due_on=due_on or timezone.localdate()
    )
    return check


@transaction.atomic
def check_answer(
    *, check: CommitmentCheck, kept: bool, note: str = "", actor: User | None = None
) -> CommitmentCheck:
    check = CommitmentCheck.objects.select_for_update().get(pk=check.pk)
    if check.outcome != OUT.PENDING:
        raise ValidationError(_("This check was answered already."), code="answered")
    check.outcome = OUT.KEPT if kept else OUT.BROKEN
    check.note = (note or "").strip()
    check.checked_at = timezone.now()
    check.checked_by = actor if getattr(actor, "is_authenticated", False) else None
    check.save(update_fields=["outcome", "note", "checked_at", "checked_by"])
    audit_record(
        action=AuditEvent.Action.UPDATE,
        actor=actor,
        network=check.commitment.demand.network,
        obj=check,
        fields=["outcome", "note"],
    )
    if not kept:
        _escalate(check)
    return check


def _raise_text(check: CommitmentCheck, language: str) -> str:
    demand = check.commitment.demand
    with translation.override(language):
        if check.outcome == OUT.BROKEN:
            text = _(
                "%(network)s: a commitment was broken: %(whom)s, %(promise)s. See the dashboard."
            )
        else:
            text = _(
                "%(network)s: an enforcement check is overdue: %(whom)s, %(promise)s. See the "
                "dashboard."
            )
        return text % {
            "network": demand.network.name[:30],
            "whom": demand.target_name[:40],
            "promise": check.commitment.promise[:60],
        }


def _escalate(check: CommitmentCheck) -> bool:
    """Raise ``check`` to the coordinators once (a conditional UPDATE: never twice)."""
    now = timezone.now()
    if not CommitmentCheck.objects.filter(pk=check.pk, escalated_at__isnull=True).update(
        escalated_at=now
    ):
        return False
    check.escalated_at = now
    network = check.commitment.demand.network
    for person in people_with_capability(network, Cap.NETWORK_MANAGE):
        person_text(person, _raise_text(check, person.language), "commitment-raised")
    audit_record(
        action=AuditEvent.Action.UPDATE, network=network, obj=check, fields=["escalated_at"]
    )
    return True


def commitment_checks_due(*, today: date | None = None) -> int:
    """Sweep: open the checks that fell due (and move each commitment's next date on),
    and raise those left unanswered past the grace days. Returns what it did."""
    today = today or timezone.localdate()
    done = 0
    due = list(
        Commitment.objects.filter(is_active=True, next_check_on__lte=today)
        .select_related("demand__network")
        .order_by("next_check_on", "id")[:SWEEP_BATCH]
    )
    for commitment in due:
        with transaction.atomic():
            moved = Commitment.objects.filter(
                pk=commitment.pk, next_check_on=commitment.next_check_on
            ).update(next_check_on=today + timedelta(days=commitment.check_every_days))
            if moved:
                check_open(commitment, commitment.next_check_on)
                done += 1
    overdue = list(
        CommitmentCheck.objects.filter(
            outcome=OUT.PENDING,
            escalated_at__isnull=True,
            due_on__lte=today - timedelta(days=CHECK_GRACE_DAYS),
        )
        .select_related("commitment__demand__network")
        .order_by("due_on", "id")[:SWEEP_BATCH]
    )
    for check in overdue:
        done += _escalate(check)
    return done


def enforcement_alerts(network: Network) -> list[CommitmentCheck]:
    """What the coordinators' dashboard raises: broken or overdue checks, with the
    demand's contact-sheet entry (``commitment.demand.target``)."""
    return list(
        CommitmentCheck.objects.filter(
            commitment__demand__network=network, escalated_at__isnull=False
        )
        .exclude(outcome=OUT.KEPT)
        .select_related("commitment__demand__target")
        .order_by("-escalated_at", "-id")[:10]
    )
