"""`amparo run` supervises its web server and worker: a worker killed with SIGKILL is
restarted (with a line saying so), and the web server keeps serving meanwhile.

A real ``run_together`` in a subprocess, on the test database; bounded in time, every
process killed at the end."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from amparo.alerts.tests.test_reliability import worker_env

REPO = Path(django_settings.REPO_DIR)
SCRIPT = (
    "import sys, django; django.setup()\n"
    "from amparo.core.management.commands._processes import run_together\n"
    "sys.exit(run_together('127.0.0.1', int(sys.argv[1]), 1, sys.stdout))\n"
)


def _children(pid: int) -> dict[int, str]:
    """The direct children of ``pid`` and their command lines (Linux /proc)."""
    out: dict[int, str] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            out[int(child)] = cmdline.replace(b"\0", b" ").decode(errors="replace")
    return out


def _worker_pid(pid: int) -> int | None:
    for child, cmdline in _children(pid).items():
        if cmdline.rstrip().endswith("-m amparo worker"):
            return child
    return None


def _healthz(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
        conn.request("GET", "/healthz")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


@pytest.fixture
def supervisor(
    transactional_db: Any, tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[str], int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    env = worker_env()
    (tmp_path / "static").symlink_to(django_settings.STATIC_ROOT)
    env["AMPARO_DATA_DIR"] = str(tmp_path)
    process = subprocess.Popen(  # noqa: S603 - our own code
        [sys.executable, "-c", SCRIPT, str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # its children can be killed with it at the end
    )
    try:
        deadline = time.monotonic() + 60  # a loaded machine takes a while to import Django
        while not (_healthz(port) and _worker_pid(process.pid)):
            assert process.poll() is None, "run_together stopped"
            assert time.monotonic() < deadline, "the server or the worker did not start"
            time.sleep(0.1)
        yield process, port
    finally:
        with contextlib.suppress(ProcessLookupError):  # already stopped, with its children
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def test_a_killed_worker_is_restarted_and_the_web_server_keeps_serving(supervisor):
    process, port = supervisor
    first = _worker_pid(process.pid)
    assert first is not None
    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + 15
    answered, asked = 0, 0
    again = None
    while time.monotonic() < deadline:
        asked += 1
        answered += _healthz(port)
        again = _worker_pid(process.pid)
        if again is not None and again != first:
            break
        time.sleep(0.1)
    assert process.poll() is None, "run_together stopped with the worker"
    assert again is not None and again != first, "the worker was not restarted"
    assert answered == asked, f"/healthz failed {asked - answered} of {asked} times"
    assert _healthz(port)
    os.killpg(process.pid, signal.SIGTERM)  # a clean stop, to read what it printed
    out, _ = process.communicate(timeout=15)
    assert "the worker stopped (exit -9); restarting it in 1 s" in out, out
    assert "the worker started again" in out, out


def test_a_restarted_worker_catches_up_what_fell_due_while_it_was_dead(
    supervisor, network_a, monkeypatch
):
    """Review of issue 15: the old test only looked for the start-up hook. Here a
    message falls due while the worker is dead, with no task queued for it (as when a
    worker dies before it drained): the restarted worker sends it, from the sweeps it
    runs at its start (amparo.core.tasks, amparo.channels.tasks)."""
    from datetime import timedelta

    from django.utils import timezone
    from huey.contrib.djhuey import HUEY

    from amparo.channels import outbox
    from amparo.channels.models import Delivery

    process, port = supervisor
    first = _worker_pid(process.pid)
    assert first is not None
    os.kill(first, signal.SIGKILL)
    HUEY.flush()  # nothing left queued or scheduled (the next half-minute's sweep)
    monkeypatch.setattr(outbox, "_drain_on_commit", lambda senders: None)  # no task queued
    delivery = outbox.outbox_write(
        network=network_a,
        channel="sandbox",
        to="+14135550301",
        body="hola",
        purpose="message",
        due_at=timezone.now() - timedelta(minutes=5),
    )
    deadline = time.monotonic() + 30
    again = None
    while again in (None, first) and time.monotonic() < deadline:
        again = _worker_pid(process.pid)
        time.sleep(0.1)
    assert again is not None and again != first, "the worker was not restarted"
    # well before the clock's next sweep (each half-minute): the one at its start
    deadline = time.monotonic() + 12
    status = ""
    while time.monotonic() < deadline:
        status = Delivery.objects.values_list("status", flat=True).get(pk=delivery.pk)
        if status not in (Delivery.Status.QUEUED, Delivery.Status.SENDING):
            break
        time.sleep(0.2)
    assert status in (Delivery.Status.SENT, Delivery.Status.DELIVERED), status


def test_a_web_server_that_keeps_failing_at_start_stops_everything(monkeypatch, tmp_path):
    """A restart does not fix a taken port or a broken set-up: after
    ``WEB_QUICK_FAILURES`` quick stops in a row, run_together gives up with the exit
    code, and stops the worker too (stand-in commands, fast back-off)."""
    import io

    from amparo.core.management.commands import _processes

    worker_pid = tmp_path / "worker.pid"
    worker = (
        f"import os, time; open({str(worker_pid)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    )
    monkeypatch.setattr(
        _processes, "granian_command", lambda *a, **k: [sys.executable, "-c", "raise SystemExit(3)"]
    )
    monkeypatch.setattr(_processes, "worker_command", lambda: [sys.executable, "-c", worker])
    monkeypatch.setattr(_processes, "RESTART_FIRST_DELAY", 0.05)
    out = io.StringIO()
    started = time.monotonic()
    code = _processes.run_together("127.0.0.1", 1, 1, out)
    assert code == 3
    assert time.monotonic() - started < 20
    lines = out.getvalue().splitlines()
    restarts = [line for line in lines if line.startswith("the web server stopped (exit 3);")]
    assert len(restarts) == _processes.WEB_QUICK_FAILURES - 1, lines
    assert "stopping everything" in lines[-1], lines
    pid = int(worker_pid.read_text())
    assert not Path(f"/proc/{pid}").exists()  # the worker was stopped (and reaped)
