"""Start the web server and a worker together as one process group and watch them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings


def granian_command(
    host: str,
    port: int,
    workers: int,
    *,
    app: str = "amparo.asgi:application",
    factory: bool = False,
) -> list[str]:
    """The granian command line serving Amparo (also used by the benchmarks).

    ASGI, so that ``amparo.core.buffered`` reads a body on the event loop before a thread
    takes the request; headers that never end are cut off after ``WEB_HEADER_TIMEOUT``."""
    granian = Path(sys.executable).with_name("granian")
    exe = [str(granian)] if granian.exists() else [sys.executable, "-m", "granian"]
    return [
        *exe,
        "--interface",
        "asgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        # HTTP/1 only: granian's "auto" also takes HTTP/2 with prior knowledge, whose
        # idle connections the header timeout never cuts
        "--http",
        "1",
        "--http1-header-read-timeout",
        str(settings.WEB_HEADER_TIMEOUT * 1000),
        "--no-ws",
        # a web process that dies (killed, out of memory) is replaced at once
        "--respawn-failed-workers",
        "--respawn-interval",
        "1",
        *(["--factory"] if factory else []),
        app,
    ]


def worker_command() -> list[str]:
    return [sys.executable, "-m", "amparo", "worker"]


#: seconds before restarting a process that stopped: doubled after each quick stop
RESTART_FIRST_DELAY = 1.0
RESTART_MAX_DELAY = 60.0
#: a process that ran this long had not been crash-looping: its back-off starts over
RESTART_STABLE_SECONDS = 60.0
#: the web server stopping this many times in a row, each soon after its start, is
#: something a restart will not fix (the port taken, a broken set-up): stop everything
WEB_QUICK_FAILURES = 5


class _Child:
    """One supervised process: started, watched, restarted with a back-off."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.name, self.command, self.env = name, command, env
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0.0
        self.delay = RESTART_FIRST_DELAY
        self.quick_failures = 0
        self.restart_at: float | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, env=self.env)  # noqa: S603
        self.started = time.monotonic()
        self.restart_at = None

    def stopped(self) -> int | None:
        """The exit code once the process has stopped (and no restart is pending yet)."""
        if self.process is None or self.restart_at is not None:
            return None
        return self.process.poll()

    def schedule_restart(self) -> float:
        now = time.monotonic()
        if now - self.started >= RESTART_STABLE_SECONDS:
            self.delay, self.quick_failures = RESTART_FIRST_DELAY, 0
        self.quick_failures += 1
        wait = self.delay
        self.delay = min(self.delay * 2, RESTART_MAX_DELAY)
        self.restart_at = now + wait
        return wait


def run_together(host: str, port: int, web_workers: int, stdout: Any) -> int:
    """Run the web server and a worker until told to stop; returns an exit code.

    A stopped process is restarted after a back-off (README, "What `amparo run` starts"); a
    web server that stops ``WEB_QUICK_FAILURES`` times soon after starting stops everything,
    for the service manager to report."""
    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    children = [
        _Child("web server", granian_command(host, port, web_workers), env),
        _Child("worker", worker_command(), env),
    ]
    for child in children:
        child.start()
    stopping = False

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    def say(line: str) -> None:
        stdout.write(line + "\n")
        stdout.flush()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    code = 0
    try:
        while not stopping:
            for child in children:
                rc = child.stopped()
                if rc is not None:
                    wait = child.schedule_restart()
                    if child.name == "web server" and child.quick_failures >= WEB_QUICK_FAILURES:
                        say(
                            f"the web server stopped (exit {rc}) {child.quick_failures} times "
                            "in a row soon after starting; stopping everything"
                        )
                        code = rc or 1
                        stopping = True
                        break
                    say(f"the {child.name} stopped (exit {rc}); restarting it in {wait:.0f} s")
                elif child.restart_at is not None and time.monotonic() >= child.restart_at:
                    child.start()
                    say(f"the {child.name} started again")
            time.sleep(0.2)
    finally:
        running = [c.process for c in children if c.process is not None]
        for process in running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code
