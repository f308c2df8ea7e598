"""The periodic sweeper: every 30 s it runs each registered sweep, which finds
timed work that is due (or was abandoned by a crash) and enqueues it.
The database is the schedule; Huey is only the fast path."""

from __future__ import annotations

import logging

from django.utils.module_loading import import_string

from amparo.lib.crypto.keys import panicked

log = logging.getLogger(__name__)

SWEEPS: list[str] = [
    "amparo.channels.tasks.sweep",
    "amparo.people.antiabuse.antiabuse_sweep",
    "amparo.people.importing.import_batches_purge",
    "amparo.people.importing.import_batches_resume",
    "amparo.people.export_files.export_files_sweep",
    "amparo.hotline.shifts.reminders.shift_reminders_due",
    "amparo.people.events.event_reminders_due",
    "amparo.people.record.commitment_checks_due",
    "amparo.hotline.tasks.voicemail_sweep",
    "amparo.channels.twilio.cleanup.provider_deletion_sweep",
    "amparo.reports.verification.verification_expire",
    "amparo.reports.services.reports_purge_contacts",
    "amparo.alerts.tasks.sweep",
    "amparo.cases.clock.cases_clock_sweep",
    "amparo.support.services.rota_reminder_sweep",
    "amparo.hearings.reminders.hearings_sweep",
    "amparo.playbooks.services.steps_overdue_sweep",
    "amparo.fund.services.refunds_chase",
    "amparo.audits.services.audit_reminders_due",
    "amparo.core.retention.purge_due",
    "amparo.core.retention.cases_shred_due",
]


def run_sweeps() -> dict[str, int]:
    """Each sweep, one after the other; none after a panic wipe (they would send, fail
    over or audit with keys that are gone): one log line per tick says why."""
    if panicked():
        log.warning("panic wipe: the keys are gone, no sweep runs and nothing is sent")
        return {}
    counts: dict[str, int] = {}
    for path in SWEEPS:
        try:
            counts[path] = import_string(path)()
        except Exception:
            log.exception("sweep %s failed", path)
            counts[path] = -1
    return counts
