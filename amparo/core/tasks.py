from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from amparo.lib.queue import queue_turn

from .password_reset import password_reset_mail  # noqa: F401 - the worker's task
from .sweeper import run_sweeps

SWEEP_EVERY_SECONDS = 30


@db_periodic_task(crontab(minute="*"))
def sweeper_tick() -> dict[str, int]:
    """Huey's clock ticks each minute; the second half-minute is scheduled from here."""
    sweep_once.schedule(delay=SWEEP_EVERY_SECONDS)
    return sweep_turn()


@db_task()
def sweep_once() -> dict[str, int]:
    return sweep_turn()


def sweep_turn() -> dict[str, int]:
    """The sweeps, once per half-minute however many workers there are: each worker's
    clock ticks (and each starts with a sweep); the first to come takes the turn."""
    return run_sweeps() if queue_turn(HUEY, "sweep-turn", SWEEP_EVERY_SECONDS / 2) else {}


@HUEY.on_startup()
def _sweep_on_startup() -> None:
    """A worker that starts (or restarts after a crash) catches up at once on what fell
    due while none ran, without waiting for the clock's next minute."""
    sweep_once()
