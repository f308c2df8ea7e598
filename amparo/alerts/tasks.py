"""Background work for alerts: the escalation sweep, run at a worker's start (so a step
that fell due while no worker ran fires within seconds) and every 30 s by the sweeper.
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
