"""The periodic sweeper: every 30 s it runs each registered sweep, which finds
timed work that is due (or was abandoned by a crash) and enqueues it.
The database is the schedule; Huey is only the fast path."""

from __future__ import annotations

import logging

from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

SWEEPS: list[str] = [
    "amparo.channels.tasks.sweep",
    "amparo.people.antiabuse.antiabuse_sweep",
    "amparo.people.importing.import_batches_purge",
    "amparo.people.importing.import_batches_resume",
    "amparo.hotline.shifts.reminders.shift_reminders_due",
    "amparo.hotline.tasks.voicemail_sweep",
    "amparo.channels.twilio.cleanup.provider_deletion_sweep",
    "amparo.reports.verification.verification_expire",
    "amparo.reports.services.reports_purge_contacts",
    "amparo.alerts.tasks.sweep",
    "amparo.core.retention.purge_due",
]


def run_sweeps() -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in SWEEPS:
        try:
            counts[path] = import_string(path)()
        except Exception:
            log.exception("sweep %s failed", path)
            counts[path] = -1
    return counts
