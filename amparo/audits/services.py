"""Writes for I-9 audits and no-match letters, the next deadline of each, and the
reminders texted to the steward who follows them (through the one outbox)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from amparo.accounts.access import Refused
from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User
from amparo.cases.models import Case, CaseKind
from amparo.cases.services import CaseInput, case_open, parse_names
from amparo.lib import businessdays
from amparo.people.models import Organization, OrganizationMember, Person
from amparo.people.participation import network_zone
from amparo.people.texting import person_text

from .models import (
    ActionStep,
    AffectedWorker,
    Audit,
    AuditNotice,
    NoMatchLetter,
    NoticeKind,
    StateDuty,
    StateRule,
    UnionAction,
)

A = AuditEvent.Action
#: a deadline is texted to the steward this many business days ahead
REMINDER_BUSINESS_DAYS = 1
#: a state duty (72 hours) is texted this long before it ends
STATE_DUTY_REMINDER = timedelta(hours=24)
REMINDER_BATCH = 200

WORKPLACE_KINDS = (Organization.Kind.WORKPLACE, Organization.Kind.EMPLOYER)


class AuditRefused(Refused):
    pass


def _today(network: Network) -> date:
    return timezone.now().astimezone(network_zone(network)).date()


# --- audits ---------------------------------------------------------------------------


@transaction.atomic
def workplace_create(
    *,
    network: Network,
    name: str,
    kind: str,
    state: str,
    employer: Organization | None = None,
    contract_clauses: str = "",
    steward: Person | None = None,
    actor: User | None = None,
) -> Organization:
    """A workplace or employer the union follows, with its steward (a union contact)."""
    if kind not in WORKPLACE_KINDS or (employer is not None and employer.network_id != network.pk):
        raise AuditRefused(_("Choose a workplace or employer of this network."))
    if steward is not None and steward.network_id != network.pk:
        raise AuditRefused(_("Choose a steward of this network."))
    workplace = Organization.objects.create(
        network=network,
        kind=kind,
        name=name.strip(),
        state=state.strip().upper()[:2],
        employer=employer,
        contract_clauses=contract_clauses.strip(),
    )
    audit_record(action=A.CREATE, actor=actor, network=network, obj=workplace)
    if steward is not None:
        OrganizationMember.objects.create(organization=workplace, person=steward, role="steward")
    return workplace


@transaction.atomic
def audit_open(
    *,
    network: Network,
    workplace: Organization,
    served_on: date,
    steward: Person | None = None,
    actor: User | None = None,
) -> Audit:
    """Open an audit from its Notice of Inspection: the notice with its deadline, the
    union's first steps and the state's duties on the employer."""
    if workplace.network_id != network.pk or workplace.kind not in WORKPLACE_KINDS:
        raise AuditRefused(_("Choose a workplace or employer of this network."))
    if steward is not None and steward.network_id != network.pk:
        raise AuditRefused(_("Choose a steward of this network."))
    kind = NoticeKind.objects.filter(network=network, starts_audit=True).first()
    if kind is None:
        raise AuditRefused(_("No kind of notice starts an audit; check the notice list."))
    audit = Audit.objects.create(
        network=network, workplace=workplace, served_on=served_on, steward=steward,
        created_by=actor,
    )  # fmt: skip
    audit_record(action=A.CREATE, actor=actor, network=network, obj=audit)
    first = ActionStep.objects.filter(network=network, opens_with_audit=True, is_active=True)
    for step in first:  # the union's first steps, as the network set them
        due_on = None if step.days is None else businessdays.add_business_days(served_on, step.days)
        UnionAction.objects.create(audit=audit, step=step, due_on=due_on)
    notice_add(audit=audit, kind=kind, served_on=served_on, actor=actor)
    return audit


@transaction.atomic
def notice_add(
    *,
    audit: Audit,
    kind: NoticeKind,
    served_on: date,
    date_on_notice: date | None = None,
    worker_names: list[str] | None = None,
    actor: User | None = None,
) -> AuditNotice:
    """Record a notice; its deadline follows its kind's rule, and the state rules of the
    workplace's state add their duties. ``worker_names``: the workers it names."""
    if kind.network_id != audit.network_id:
        raise AuditRefused(_("Choose a kind of notice of this network."))
    if kind.rule == NoticeKind.Rule.ON_NOTICE and date_on_notice is None:
        raise AuditRefused(_("This notice gives its own deadline: enter the date on it."))
    notice = AuditNotice.objects.create(
        audit=audit,
        kind=kind,
        served_on=served_on,
        date_on_notice=date_on_notice,
        due_on=kind.deadline(served_on, date_on_notice),
        created_by=actor,
    )
    audit_record(action=A.CREATE, actor=actor, network=audit.network, obj=notice)
    state = audit.workplace.state.upper()
    zone = network_zone(audit.network)
    start = datetime.combine(served_on, time(0, 0), tzinfo=zone)
    for rule in StateRule.objects.filter(network=audit.network, state=state, notice_kind=kind):
        StateDuty.objects.create(
            audit=audit, rule=rule, notice=notice, due_at=start + timedelta(hours=rule.hours)
        )
    for name in worker_names or []:
        if name.strip():
            worker_add(audit=audit, name=name, named_in=kind.slug, actor=actor)
    return notice


def worker_add(*, audit: Audit, name: str, named_in: str = "", actor: User | None = None) -> Any:
    worker = AffectedWorker.objects.create(
        audit=audit,
        name=name.strip()[:200],
        details={"status": AffectedWorker.Status.NAMED, "support": [], "named_in": named_in},
    )
    audit_record(action=A.CREATE, actor=actor, network=audit.network, obj=worker)
    return worker


def worker_update(
    *, worker: AffectedWorker, status: str, support: list[str], actor: User | None = None
) -> AffectedWorker:
    if status not in AffectedWorker.Status.values or not set(support) <= set(
        AffectedWorker.Support.values
    ):
        raise AuditRefused(_("Choose a status and support from the lists."))
    worker.details = {**worker.details, "status": status, "support": sorted(set(support))}
    worker.save(update_fields=["details"])
    audit_record(
        action=A.UPDATE, actor=actor, network=worker.audit.network, obj=worker, fields=["details"]
    )
    return worker


@transaction.atomic
def worker_open_case(*, worker: AffectedWorker, actor: User) -> Case:
    """Open a workplace case for an affected worker, the opener on its team; the worker
    and the case point at each other (``worker.case``, ``case.i9_workers``)."""
    if worker.case_id is not None:
        raise AuditRefused(_("A case is already open for this worker."))
    ((given, family),) = parse_names(worker.name)[:1] or [("", "")]
    network = worker.audit.network
    case = case_open(
        network=network,
        actor=actor,
        data=CaseInput(given, family, kind=CaseKind.WORKPLACE),
        case_manager=actor,
    )
    worker.case = case
    worker.save(update_fields=["case"])
    audit_record(action=A.UPDATE, actor=actor, network=network, obj=worker, fields=["case"])
    return case


def action_add(
    *, audit: Audit, step: ActionStep, due_on: date | None, actor: User | None = None
) -> Any:
    """Add a step; without a date its default deadline counts from the inspection."""
    if step.network_id != audit.network_id:
        raise AuditRefused(_("Choose a step from the list."))
    if due_on is None and step.days is not None:
        due_on = businessdays.add_business_days(audit.served_on, step.days)
    action = UnionAction.objects.create(audit=audit, step=step, due_on=due_on)
    audit_record(action=A.CREATE, actor=actor, network=audit.network, obj=action)
    return action


def action_mark_sent(
    *, action: UnionAction, sent_on: date, what_sent: str, actor: User | None = None
) -> UnionAction:
    """Record that the union sent this step (the letter's gist, to whom, how)."""
    action.sent_on = sent_on
    action.sent_by = actor
    action.what_sent = what_sent.strip()
    action.save(update_fields=["sent_on", "sent_by", "what_sent"])
    audit_record(
        action=A.UPDATE,
        actor=actor,
        network=action.audit.network,
        obj=action,
        fields=["sent_on", "what_sent"],
    )
    return action


def duty_done(*, duty: StateDuty, actor: User | None = None) -> StateDuty:
    duty.done_at = timezone.now()
    duty.done_by = actor
    duty.save(update_fields=["done_at", "done_by"])
    audit_record(action=A.UPDATE, actor=actor, network=duty.audit.network, obj=duty)
    return duty


# --- no-match letters -----------------------------------------------------------------


@transaction.atomic
def nomatch_save(*, letter: NoMatchLetter, actor: User | None = None) -> NoMatchLetter:
    """Create or update a no-match letter (the form has set its fields)."""
    if letter.employer.network_id != letter.network_id or letter.employer.kind not in (
        WORKPLACE_KINDS
    ):
        raise AuditRefused(_("Choose a workplace or employer of this network."))
    if letter.steward is not None and letter.steward.network_id != letter.network_id:
        raise AuditRefused(_("Choose a steward of this network."))
    adding = letter._state.adding
    letter.employer_steps = sorted(
        set(letter.employer_steps) & set(NoMatchLetter.EmployerStep.values)
    )
    letter.save()
    audit_record(
        action=A.CREATE if adding else A.UPDATE, actor=actor, network=letter.network, obj=letter
    )
    return letter


# --- deadlines ------------------------------------------------------------------------


@dataclass
class Deadline:
    on: date
    what: str


def audit_deadlines(audit: Audit, today: date) -> list[Deadline]:
    """What is still due in an audit, soonest first: notices whose deadline has not
    passed, union steps not sent, state duties not checked. Uses prefetched rows."""
    zone = network_zone(audit.network)
    items = [
        Deadline(n.due_on, n.kind.label)
        for n in audit.notices.all()
        if n.due_on is not None and n.due_on >= today
    ]
    items += [
        Deadline(a.due_on, a.step.label)
        for a in audit.actions.all()
        if a.due_on is not None and a.sent_on is None
    ]
    items += [
        Deadline(d.due_at.astimezone(zone).date(), f"{d.rule.law}: {d.rule.duty_text}")
        for d in audit.state_duties.all()
        if d.done_at is None
    ]
    return sorted(items, key=lambda d: d.on)


def audits_with_deadlines(network: Network) -> list[tuple[Audit, list[Deadline]]]:
    """The open audits, each with its deadlines, ordered by the next one."""
    today = _today(network)
    audits = (
        Audit.objects.filter(network=network, status=Audit.Status.OPEN)
        .select_related("workplace", "network")
        .prefetch_related("notices__kind", "actions__step", "state_duties__rule")
    )
    rows = [(a, audit_deadlines(a, today)) for a in audits]
    far = date.max
    return sorted(rows, key=lambda r: (r[1][0].on if r[1] else far, r[0].pk))


def when(day: date, language: str) -> str:
    with translation.override(language):
        return formats.date_format(day, "D j M Y")


def _audit_text(audit: Audit, deadline: Deadline, language: str) -> str:
    with translation.override(language):
        return _("%(network)s: I-9 audit at %(workplace)s: %(what)s by %(when)s.") % {
            "network": audit.network.name,
            "workplace": audit.workplace.name,
            "what": deadline.what.rstrip("."),
            "when": when(deadline.on, language),
        }


def audit_remind_now(*, audit: Audit, actor: User | None = None) -> bool:
    """Text the audit's next deadline to its steward now; False when none or not textable."""
    steward = audit.steward
    if steward is None:
        return False
    with translation.override(steward.language):  # the notices' and steps' names too
        deadlines = audit_deadlines(audit, _today(audit.network))
        if not deadlines:
            return False
        body = _audit_text(audit, deadlines[0], steward.language)
    sent = person_text(steward, body, "reminder")
    if sent:
        audit_record(action=A.UPDATE, actor=actor, network=audit.network, obj=audit, note="remind")
    return sent


def _claim(model: Any, pk: int, now: datetime) -> bool:
    return bool(model.objects.filter(pk=pk, reminded_at__isnull=True).update(reminded_at=now))


def audit_reminders_due() -> int:
    """Sweep: text the steward once before each deadline (notices, unsent union steps, state
    duties, no-match letters); each reminder is claimed by a conditional UPDATE."""
    now = timezone.now()
    sent = 0
    duties = (
        StateDuty.objects.filter(
            reminded_at__isnull=True,
            done_at__isnull=True,
            due_at__gt=now,
            due_at__lte=now + STATE_DUTY_REMINDER,
            audit__status=Audit.Status.OPEN,
            audit__steward__isnull=False,
        )
        .select_related("audit__network", "audit__workplace", "audit__steward", "rule")
        .order_by("due_at")[:REMINDER_BATCH]
    )
    for duty in duties:
        with transaction.atomic():
            if not _claim(StateDuty, duty.pk, now):
                continue
            steward = duty.audit.steward
            if steward is None:  # filtered out above
                continue
            with translation.override(steward.language):
                zone = network_zone(duty.audit.network)
                ends = formats.date_format(duty.due_at.astimezone(zone), "D j M H:i")
                body = _("%(network)s: %(workplace)s: %(law)s — check by %(when)s: %(duty)s") % {
                    "network": duty.audit.network.name,
                    "workplace": duty.audit.workplace.name,
                    "law": duty.rule.law,
                    "when": ends,
                    "duty": duty.rule.duty_text,
                }
            sent += person_text(steward, body, "reminder")
    sent += _dated_reminders(now)
    return sent


def _remind_dated(row: AuditNotice | UnionAction, now: datetime, what: Any) -> bool:
    """Text a notice's or a step's deadline once, when it is at most
    ``REMINDER_BUSINESS_DAYS`` ahead in the network's time zone (never late)."""
    audit, due_on, steward = row.audit, row.due_on, row.audit.steward
    today = _today(audit.network)
    if due_on is None or steward is None or due_on < today:
        return False
    if due_on > businessdays.add_business_days(today, REMINDER_BUSINESS_DAYS):
        return False
    with transaction.atomic():
        if not _claim(type(row), row.pk, now):
            return False
        with translation.override(steward.language):
            body = _audit_text(audit, Deadline(due_on, str(what())), steward.language)
        return person_text(steward, body, "reminder")


def _dated_reminders(now: datetime) -> int:
    sent = 0
    notices = AuditNotice.objects.filter(
        reminded_at__isnull=True,
        due_on__isnull=False,
        audit__status=Audit.Status.OPEN,
        audit__steward__isnull=False,
    ).select_related("audit__network", "audit__workplace", "audit__steward", "kind")
    actions = UnionAction.objects.filter(
        reminded_at__isnull=True,
        sent_on__isnull=True,
        due_on__isnull=False,
        audit__status=Audit.Status.OPEN,
        audit__steward__isnull=False,
    ).select_related("audit__network", "audit__workplace", "audit__steward", "step")
    horizon = businessdays.add_business_days(now.date(), REMINDER_BUSINESS_DAYS)
    for notice in notices.filter(due_on__lte=horizon).order_by("due_on")[:REMINDER_BATCH]:
        sent += _remind_dated(notice, now, partial(getattr, notice.kind, "label"))
    for action in actions.filter(due_on__lte=horizon).order_by("due_on")[:REMINDER_BATCH]:
        sent += _remind_dated(action, now, partial(getattr, action.step, "label"))
    letters = NoMatchLetter.objects.filter(
        reminded_at__isnull=True,
        status=NoMatchLetter.Status.OPEN,
        respond_by__isnull=False,
        respond_by__lte=horizon,
        steward__isnull=False,
    ).select_related("network", "employer", "steward")
    for letter in letters.order_by("respond_by")[:REMINDER_BATCH]:
        today = _today(letter.network)
        if letter.respond_by is None or letter.respond_by < today:
            continue
        with transaction.atomic():
            if not _claim(NoMatchLetter, letter.pk, now):
                continue
            steward = letter.steward
            if steward is None:  # filtered out above
                continue
            with translation.override(steward.language):
                body = _(
                    "%(network)s: no-match letter at %(employer)s: the employer's deadline "
                    "is %(when)s. A no-match is not evidence of immigration status."
                ) % {
                    "network": letter.network.name,
                    "employer": letter.employer.name,
                    "when": when(letter.respond_by, steward.language),
                }
            sent += person_text(steward, body, "reminder")
    return sent
