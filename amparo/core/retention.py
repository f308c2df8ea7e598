"""Retention periods as data (docs/backups-and-panic.md, "Retention").

``RETENTION`` is the table; ``RETENTION_DAYS`` overrides a rule's days by its ``kind``.
``purge_due()`` is the sweep: at most ``BATCH`` rows per rule and run, so a backlog
drains without one long transaction. ``amparo purge`` runs the rules until nothing is
due, plus the purges other modules own. Each purge audits its kind and count only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent

BATCH = 500


@dataclass(frozen=True)
class Rule:
    kind: str  # the key in RETENTION_DAYS and in the audit event
    model: str  # app_label.ModelName
    date_field: str  # the age is measured from this field
    days: int
    what: Any  # a translatable description for people (coordinator page, docs)
    action: str = "delete"  # "delete" rows, or "clear" the fields in ``clear``
    clear: tuple[str, ...] = ()
    # Further conditions: a function of the model returning a Q (e.g. "closed only").
    where: Callable[[type[models.Model]], models.Q] | None = None
    # A purge another module already owns: a dotted path to a function returning a count.
    # It is run by ``amparo purge`` only; it has its own sweep line.
    handler: str = ""
    handler_takes_age: bool = False
    # A setting naming the period (its days), where the app reads it too.
    days_setting: str = ""


def _delivery_done(model: type[models.Model]) -> models.Q:
    """Outbox rows that are finished and not tied to an alert still in progress."""
    open_alert = ("draft", "approval", "sending")
    return ~models.Q(status__in=("queued", "sending")) & ~models.Q(alert__status__in=open_alert)


def _conversation_closed(model: type[models.Model]) -> models.Q:
    return models.Q(status="closed")


def _recording_after_callback(model: type[models.Model]) -> models.Q:
    return models.Q(recording__isnull=False)


def _has_source_tag(model: type[models.Model]) -> models.Q:
    return models.Q(source_tag__isnull=False)


def _intake_without_open_callback(model: type[models.Model]) -> models.Q:
    callback = apps.get_model("hotline", "Callback")
    return ~models.Q(
        pk__in=callback._default_manager.filter(done_at__isnull=True, intake__isnull=False).values(
            "intake"
        )
    )


def _case_not_shredded(model: type[models.Model]) -> models.Q:
    return models.Q(wrapped_key__isnull=False)


RETENTION: tuple[Rule, ...] = (
    Rule(
        "reports.contact",
        "reports.Report",
        "contact_purge_after",
        30,
        _("a reporter's phone number (the period is fixed when the report arrives)"),
        handler="amparo.reports.services.reports_purge_contacts",
    ),
    Rule(
        "reports.knownreporter",
        "reports.KnownReporter",
        "last_true_at",
        180,
        _("the keyed hash of a number that reported truly (after its last true report)"),
        days_setting="REPORTER_TRUST_DAYS",
    ),
    Rule(
        "reports.source_tag",
        "reports.Report",
        "received_at",
        1,
        _("which reports came from one connection or number (a keyed hash, for a flood's limits)"),
        action="clear",
        clear=("source_tag",),
        where=_has_source_tag,
    ),
    Rule(
        "channels.inboundmessage",
        "channels.InboundMessage",
        "received_at",
        90,
        _("messages received"),
    ),
    Rule(
        "channels.delivery",
        "channels.Delivery",
        "created_at",
        90,
        _("messages sent (once finished, and not part of an alert still going on)"),
        where=_delivery_done,
    ),
    Rule(
        "sandbox.sandboxmessage",
        "sandbox.SandboxMessage",
        "created_at",
        30,
        _("messages on the sandbox phone"),
    ),
    Rule(
        "hotline.conversation",
        "hotline.Conversation",
        "last_at",
        180,
        _("closed hotline text conversations"),
        where=_conversation_closed,
    ),
    Rule(
        "hotline.call.recording",
        "hotline.Call",
        "callback_done_at",
        30,
        _("voicemail recordings, after the caller was called back"),
        action="clear",
        clear=("recording",),
        where=_recording_after_callback,
    ),
    Rule(
        "hotline.intake",
        "hotline.Intake",
        "started_at",
        365,
        _("hotline intake answers (unless a callback is still open)"),
        where=_intake_without_open_callback,
    ),
    Rule(
        "cases.case",
        "cases.Case",
        "closed_at",
        365,
        _(
            "a closed case's names, A-number, screening, notes and timeline (its data key is "
            "destroyed)"
        ),
        where=_case_not_shredded,
        handler="amparo.cases.services.cases_shred_closed",
        handler_takes_age=True,
    ),
    Rule(
        # A letter names the workers and their A-numbers under the document's own key: it
        # goes no later than a closed case's (whose names the case shred destroys).
        "documents.generated",
        "documents.GeneratedDocument",
        "created_at",
        365,
        _("the text of printed letters and documents (its data key is destroyed)"),
        action="clear",
        clear=("wrapped_key",),
        where=lambda model: models.Q(wrapped_key__isnull=False),
    ),
    Rule(
        "campaigns.signature.contact",
        "campaigns.Signature",
        "petition__delivered_at",
        30,
        _("a petition signer's phone or email (after the petition's delivery)"),
        action="clear",
        clear=("contact",),
        where=lambda model: models.Q(contact__isnull=False),
        days_setting="PETITION_CONTACT_DAYS",
    ),
    Rule(
        "people.importbatch",
        "people.ImportBatch",
        "created_at",
        7,
        _("unfinished spreadsheet imports"),
        handler="amparo.people.importing.batches.import_batches_purge",
        handler_takes_age=True,
    ),
    Rule(
        "people.antiabuse",
        "people.RateBucket",
        "window_start",
        1,
        _("sign-up rate counters and spent challenges (as soon as their window has passed)"),
        handler="amparo.people.antiabuse.antiabuse_sweep",
    ),
)


def days_for(rule: Rule) -> int:
    default = getattr(settings, rule.days_setting) if rule.days_setting else rule.days
    return int(settings.RETENTION_DAYS.get(rule.kind, default))


def due_queryset(rule: Rule, now: Any = None) -> models.QuerySet[Any]:
    model = apps.get_model(rule.model)
    cutoff = (now or timezone.now()) - timedelta(days=days_for(rule))
    qs = model._default_manager.filter(**{f"{rule.date_field}__lt": cutoff})
    if rule.where is not None:
        qs = qs.filter(rule.where(model))
    return qs


def _purge_batch(rule: Rule, *, dry_run: bool) -> int:
    qs = due_queryset(rule)
    pks = list(qs.order_by("pk").values_list("pk", flat=True)[:BATCH])
    if not pks or dry_run:
        return len(pks)
    model = qs.model
    with transaction.atomic():
        batch = model._default_manager.filter(pk__in=pks)
        if rule.action == "clear":
            return batch.update(**{name: None for name in rule.clear})
        batch.delete()  # the collector applies SET_NULL / CASCADE of related rows
    return len(pks)


def run_rule(rule: Rule, *, dry_run: bool = False, drain: bool = False) -> int:
    """Purge what ``rule`` says is due; one batch, or everything when ``drain``."""
    if rule.handler:
        if dry_run:
            return due_queryset(rule).count() if rule.handler_takes_age else 0
        function = import_string(rule.handler)
        if rule.handler_takes_age:
            return int(function(older_than=timedelta(days=days_for(rule))))
        return int(function())
    total = 0
    while True:
        n = _purge_batch(rule, dry_run=dry_run)
        total += n
        if dry_run or not drain or n < BATCH:
            return total


def audit_purge(kind: str, count: int) -> None:
    audit_record(action=AuditEvent.Action.DELETE, fields=[f"retention:{kind}"], note=str(count))


def purge_all(*, dry_run: bool = False) -> dict[str, int]:
    """Everything due, every rule (``amparo purge``). Counts per kind."""
    counts: dict[str, int] = {}
    for rule in RETENTION:
        counts[rule.kind] = n = run_rule(rule, dry_run=dry_run, drain=True)
        if n and not dry_run:
            audit_purge(rule.kind, n)
    return counts


def cases_shred_due() -> int:
    """The sweep line of the closed cases' rule (its handler takes the period)."""
    rule = next(r for r in RETENTION if r.kind == "cases.case")
    n = run_rule(rule)
    if n:
        audit_purge(rule.kind, n)
    return n


def purge_due() -> int:
    """The sweep: one bounded batch per rule this module owns; the rows removed or cleared."""
    total = 0
    for rule in RETENTION:
        if rule.handler:
            continue
        n = run_rule(rule)
        if n:
            audit_purge(rule.kind, n)
        total += n
    return total
