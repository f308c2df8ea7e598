"""Background work for the alert outbox. Tasks take ids and sender keys only.

A worker that starts runs ``alerts_sweep`` at once (``on_startup``), so an escalation
step that fell due while no worker ran fires within seconds, and a crashed drain is
picked up; the core sweeper runs ``sweep`` every 30 s after that.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from huey.contrib.djhuey import HUEY, db_task

from . import outbox, pacing


@db_task()
def outbox_drain(sender: str) -> int:
    tried = outbox.outbox_drain(sender=sender)
    if tried:  # stopped by its time budget or ran dry: look again, let other tasks in
        outbox_drain_later(sender, None)
    else:  # nothing due now: come back when a retry falls due or a claim is abandoned
        eta = pacing.next_due(sender)
        if eta is not None:
            outbox_drain_later(sender, eta + timedelta(milliseconds=50))
    return tried


def outbox_drain_later(sender: str, eta: datetime | None) -> None:
    if eta is None:
        outbox_drain(sender)
    else:
        outbox_drain.schedule(args=(sender,), eta=eta)


@db_task()
def alerts_sweep_task() -> int:
    return sweep()


def sweep() -> int:
    """For the core sweeper: due escalation steps, failovers, and a drain per sender
    with work due."""
    ran = outbox.escalation_sweep()
    senders = outbox.outbox_sweep()
    for sender in senders:
        outbox_drain(sender)
    return ran + len(senders)


@HUEY.on_startup()
def _sweep_on_startup() -> None:
    alerts_sweep_task()
