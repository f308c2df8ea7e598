"""Background work for channels. Tasks take ids, load rows and call a service."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from . import services


@db_task()
def deliver(delivery_id: int) -> str:
    return services.delivery_attempt(delivery_id=delivery_id)


def sweep() -> int:
    """Called by the core sweeper: enqueue every overdue or abandoned delivery."""
    ids = services.deliveries_sweep()
    for delivery_id in ids:
        deliver(delivery_id)
    return len(ids)
