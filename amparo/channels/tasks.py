"""Background work for the outbox (``amparo.channels.outbox``; its drain task takes a
sender key) and the inbox (``inbound_handle_task``: a stored message to its handlers).
The core sweeper runs ``sweep`` every 30 s, and a worker runs it as soon as it starts,
so a drain a crash cut short, or a message whose task was lost, is picked up at once."""

from __future__ import annotations

from huey.contrib.djhuey import HUEY, db_task

from .outbox import drain_locks_clear, outbox_drain_task, outbox_sweep, transports_warm
from .services import inbound_handle, inbound_pending


@db_task()
def inbound_handle_task(message_id: int) -> str | None:
    return inbound_handle(message_id=message_id)


def inbound_enqueue(message_id: int) -> None:
    """The fast path from a webhook to a worker (``inbound_store(enqueue=…)``)."""
    inbound_handle_task(message_id)


def sweep() -> int:
    """Fail over, drain every sender with work due, enqueue lost inbound tasks; how many."""
    senders = outbox_sweep()
    for sender in senders:
        outbox_drain_task(sender)
    pending = inbound_pending()
    for message_id in pending:
        inbound_handle_task(message_id)
    return len(senders) + len(pending)


@db_task()
def sweep_task() -> int:
    return sweep()


@HUEY.on_startup()
def _outbox_on_startup() -> None:
    drain_locks_clear()
    sweep_task()
    transports_warm()
