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

    ASGI, so that granian hands over a request body as it arrives: ``amparo.asgi``
    reads it on the event loop with a deadline and only then gives the complete request
    to one of ``WEB_THREADS`` threads (``amparo.core.buffered``). A slow or stalled
    client holds no request thread; headers that never end are cut off after
    ``WEB_HEADER_TIMEOUT`` seconds."""
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
        "--http1-header-read-timeout",
        str(settings.WEB_HEADER_TIMEOUT * 1000),
        "--no-ws",
        *(["--factory"] if factory else []),
        app,
    ]


def worker_command() -> list[str]:
    return [sys.executable, "-m", "amparo", "worker"]


def run_together(host: str, port: int, web_workers: int, stdout: Any) -> int:
    """Run web + worker until one exits or we are told to stop; returns an exit code."""
    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    children = [
        subprocess.Popen(granian_command(host, port, web_workers), env=env),  # noqa: S603
        subprocess.Popen(worker_command(), env=env),  # noqa: S603
    ]
    stopping = False

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    code = 0
    try:
        while not stopping:
            for child in children:
                rc = child.poll()
                if rc is not None:
                    stdout.write(f"a process stopped (exit {rc}); stopping the others\n")
                    code = rc or 1
                    stopping = True
            time.sleep(0.2)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code
