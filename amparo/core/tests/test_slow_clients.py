"""Slow and stalled clients against the real server (granian on loopback, started here).

An attacker without an account fetches the report form for its CSRF cookie, then opens
50 uploads (100 KB each, from 50 loopback addresses, so all 50 are held: the
per-address limit is test_buffered's) whose bodies stop 10 bytes short of their
Content-Length, and 50 connections whose headers never end. Meanwhile ``/healthz``, the public report form (GET and POST)
and a signed Twilio webhook must keep answering; the stalled bodies are answered when
their deadline passes and the unfinished headers are cut off.

Bounded: 100 sockets, a few seconds of attack, every socket and the server closed at
the end. /healthz's p95 during the attack is reported after the run ("figures
measured") and in --junitxml."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import socket
import statistics
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings as django_settings
from twilio.request_validator import RequestValidator

from amparo.accounts.services import network_create
from amparo.alerts.tests.test_reliability import worker_env
from amparo.core.management.commands._processes import granian_command

REPO = Path(django_settings.REPO_DIR)
HOTLINE = "+14135550188"
AUTH_TOKEN = "slow-client-test-token-not-a-real-one"  # noqa: S105 - loopback only
PUBLIC_URL = "https://hotline.slow.invalid"
STALLED = 50
SLOW_HEADERS = 50
ATTACK_SECONDS = 4.0
BODY_TIMEOUT = 3  # seconds a body may go without a byte, in this test
HEADER_TIMEOUT = 2  # and for the request's headers
UPLOAD_BYTES = 100_000  # past the front's SMALL_BODY: each counts as an upload
#: the attacker's own loopback addresses (127.0.0.2 …), one per stalled upload
ATTACKERS = [(f"127.0.0.{2 + i}", 0) for i in range(STALLED)]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
COOKIE = re.compile(r"csrftoken=([^;]+)")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _request(
    port: int, method: str, path: str, body: bytes | None = None, headers: Any = None
) -> tuple[int, bytes, http.client.HTTPResponse]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read(), response
    finally:
        conn.close()


@pytest.fixture
def server(transactional_db: Any, settings: Any, tmp_path: Path) -> Iterator[tuple[int, str]]:
    network_create(slug="slow-net", name="Red Lenta", hotline_number=HOTLINE)
    env = worker_env()
    env.update(
        {
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_ACCOUNT_SID": "AC" + "c" * 32,
            "TWILIO_FROM_NUMBER": HOTLINE,
            "AMPARO_PUBLIC_URL": PUBLIC_URL,
            "AMPARO_TWILIO_API_BASE": "http://127.0.0.1:9",  # nothing is sent
            "AMPARO_WEB_BODY_TIMEOUT": str(BODY_TIMEOUT),
            "AMPARO_WEB_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
            "AMPARO_WEB_THREADS": "4",
        }
    )
    env.pop("TWILIO_AUTH_TOKEN_FILE", None)
    # the server's own data directory, with the static files the test session collected
    (tmp_path / "static").symlink_to(settings.STATIC_ROOT)
    env["AMPARO_DATA_DIR"] = str(tmp_path)
    port = _free_port()
    settings.WEB_HEADER_TIMEOUT = HEADER_TIMEOUT  # read by granian_command, in this process
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own server command
        granian_command("127.0.0.1", port, 1),
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,  # granian's own worker process is stopped with it
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "the server stopped"
            try:
                if _request(port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield port, "slow-net"
    finally:
        _stop(process)
        log.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop granian and its worker process (killing only the parent would orphan it)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def _stalled_upload(
    port: int, path: str, cookie: str, token: str, source: tuple[str, int]
) -> socket.socket:
    """A POST whose body stops 10 bytes short of its Content-Length, left open."""
    body = urlencode({"csrfmiddlewaretoken": token, "what": "x" * UPLOAD_BYTES}).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body) + 10}\r\nCookie: csrftoken={cookie}\r\n\r\n"
    ).encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=source)
    sock.sendall(head + body)
    return sock


def _slow_header(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=ATTACKERS[0])
    sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Slow: ".encode())
    return sock


def _closed_or_answered(sock: socket.socket, within: float) -> bytes | None:
    """What the server sent before closing (b"" when it only closed), or None when the
    socket is still open and silent after ``within`` seconds."""
    sock.settimeout(within)
    try:
        data = sock.recv(4096)
    except TimeoutError:
        return None
    except OSError:
        return b""
    return data


def _twilio_sms(i: int) -> tuple[bytes, dict[str, str]]:
    params = {
        "MessageSid": f"SM{i:032x}",
        "AccountSid": "AC" + "c" * 32,
        "From": f"+1617555{i:04d}",
        "To": HOTLINE,
        "Body": "Hola, necesito ayuda",
        "NumMedia": "0",
    }
    signature = RequestValidator(AUTH_TOKEN).compute_signature(
        PUBLIC_URL + "/hooks/twilio/sms", params
    )
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature,
    }
    return urlencode(params).encode(), headers


def test_stalled_uploads_and_slow_headers_do_not_freeze_the_site(server, record_property):
    port, slug = server
    form = f"/report/{slug}/"
    status, page, response = _request(port, "GET", form)
    assert status == 200
    cookie = COOKIE.search(response.getheader("Set-Cookie") or "")
    token = CSRF.search(page.decode())
    assert cookie and token
    # the Twilio webhook answers before the attack (a wrong signature would be 403)
    body, headers = _twilio_sms(0)
    assert _request(port, "POST", "/hooks/twilio/sms", body, headers)[0] == 200

    attackers = [_stalled_upload(port, form, cookie[1], token[1], a) for a in ATTACKERS]
    attackers += [_slow_header(port) for _ in range(SLOW_HEADERS)]
    started = time.monotonic()
    try:
        latencies: list[float] = []
        answers: dict[str, list[int]] = {"form": [], "post": [], "twilio": []}
        i = 0
        while time.monotonic() - started < ATTACK_SECONDS:
            i += 1
            t0 = time.monotonic()
            try:
                ok = _request(port, "GET", "/healthz")[0] == 200
            except OSError:  # a timeout (10 s) counts as one
                ok = False
            latencies.append(time.monotonic() - t0 if ok else 10.0)
            if i % 5 == 0:
                for kind in answers:
                    try:
                        if kind == "form":
                            answers[kind].append(_request(port, "GET", form)[0])
                        elif kind == "post":
                            data = urlencode({"csrfmiddlewaretoken": token[1]}).encode()
                            post_headers = {
                                "Content-Type": "application/x-www-form-urlencoded",
                                "Cookie": f"csrftoken={cookie[1]}",
                                "Referer": f"http://127.0.0.1:{port}{form}",
                            }
                            answers[kind].append(
                                _request(port, "POST", form, data, post_headers)[0]
                            )
                        else:
                            body, headers = _twilio_sms(i)
                            answers[kind].append(
                                _request(port, "POST", "/hooks/twilio/sms", body, headers)[0]
                            )
                    except OSError:
                        answers[kind].append(599)
        p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) > 1 else 10.0
        record_property(
            "figure",
            f"/healthz during {STALLED} stalled uploads and {SLOW_HEADERS} unfinished headers: "
            f"{len(latencies)} requests, p50 {statistics.median(latencies) * 1000:.1f} ms, "
            f"p95 {p95 * 1000:.1f} ms; other answers "
            f"{ ({kind: dict(Counter(codes)) for kind, codes in answers.items()}) }",
        )
        assert len(latencies) >= 20, latencies  # it kept answering, not one slow request
        assert p95 < 1.0, f"/healthz p95 {p95:.2f} s during the attack"
        assert answers["form"] and set(answers["form"]) == {200}, answers
        # the form answers the POST itself (a form error for an empty report), never a
        # 5xx, a refusal of the client or a timeout
        assert answers["post"] and all(s < 500 and s != 429 for s in answers["post"]), answers
        assert answers["twilio"] and set(answers["twilio"]) == {200}, answers

        # The deadlines: each stalled body, all 50 held meanwhile, is answered (408 once
        # silent for its timeout), each unfinished header cut off, soon after its
        # deadline: none is held forever.
        answered: list[bytes | None] = []
        for sock in attackers:
            left = max(0.1, started + max(BODY_TIMEOUT, HEADER_TIMEOUT) + 3 - time.monotonic())
            answered.append(_closed_or_answered(sock, left))
        uploads = [(a or b"")[:12] for a in answered[:STALLED]]
        assert uploads.count(b"HTTP/1.1 408") == STALLED, uploads
        assert None not in answered[STALLED:], "a connection with unfinished headers is held"
    finally:
        for sock in attackers:
            sock.close()
