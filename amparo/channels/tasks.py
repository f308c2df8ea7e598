"""Background work for the outbox (``amparo.channels.outbox``; its drain task takes a
sender key). The core sweeper runs ``sweep`` every 30 s, and a worker runs it as soon
as it starts, so a drain a crash cut short is picked up at once."""

from __future__ import annotations

from huey.contrib.djhuey import HUEY, db_task

from .outbox import drain_locks_clear, outbox_drain_task, outbox_sweep


def sweep() -> int:
    """Fail over what needs it and drain every sender with work due; returns how many."""
    senders = outbox_sweep()
    for sender in senders:
        outbox_drain_task(sender)
    return len(senders)


@db_task()
def sweep_task() -> int:
    return sweep()


@HUEY.on_startup()
def _outbox_on_startup() -> None:
    drain_locks_clear()
    sweep_task()
