"""Background work for alerts: the escalation steps (the outbox's drains and sweep are
``amparo.channels.tasks``).

A worker that starts runs ``sweep`` at once (``on_startup``), so an escalation step
that fell due while no worker ran fires within seconds; the core sweeper runs ``sweep``
every 30 s after that.
"""

from __future__ import annotations

from huey.contrib.djhuey import HUEY, db_task

from .escalation import escalation_sweep


@db_task()
def alerts_sweep_task() -> int:
    return sweep()


def sweep() -> int:
    """For the core sweeper: the escalation steps due."""
    return escalation_sweep()


@HUEY.on_startup()
def _escalation_on_startup() -> None:
    alerts_sweep_task()
