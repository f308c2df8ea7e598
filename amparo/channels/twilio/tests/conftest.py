"""A fake Twilio API (a real HTTP server on loopback) and signed webhook requests."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from twilio.request_validator import RequestValidator

from amparo.accounts.models import Network
from amparo.channels.models import InboundMessage
from amparo.channels.services import inbound_handle
from amparo.channels.twilio.cleanup import final_sent_schedule
from amparo.hotline.models import Shift, ShiftAssignment
from amparo.people.models import Person

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC_URL = "https://hotline.example.org"
HOTLINE = "+14135550100"  # network_a's hotline number (amparo/conftest.py)
CALLER = "+16175550199"


@dataclass
class FakeTwilio:
    """What the fake API was asked, and how it should answer."""

    base: str = ""
    audio: bytes = b"ID3\x03\x00fake-mp3-voicemail\x00\xff\xfb" + bytes(range(256))
    fail_downloads: int = 0  # answer 500 to this many downloads, then succeed
    fail_codes: dict[str, int] = field(default_factory=dict)  # To number -> Twilio error
    requests: list[tuple[str, str]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    # Messages: DELETE /Messages/SM….json is recorded here; a message already deleted
    # answers 404 (as Twilio does); fail_message_deletes answers 500 that many times.
    deleted_messages: list[str] = field(default_factory=list)
    fail_message_deletes: int = 0
    messages: list[dict[str, str]] = field(default_factory=list)
    # Calls: DELETE /Calls/CA….json is recorded in deleted_calls (a call already deleted
    # answers 404; fail_call_deletes answers 500 that many times). recordings maps a
    # call to the recordings Twilio holds of it (GET /Recordings.json?CallSid= lists
    # those not deleted yet); legs maps a call to its child calls (GET
    # /Calls.json?ParentCallSid=).
    deleted_calls: list[str] = field(default_factory=list)
    fail_call_deletes: int = 0
    recordings: dict[str, list[str]] = field(default_factory=dict)
    legs: dict[str, list[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    recording = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Recordings/(RE\w+)\.(mp3|json)$")
    messages = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages\.json$")
    message = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages/(SM\w+)\.json$")
    recording_list = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Recordings\.json$")
    call_list = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Calls\.json$")
    call = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Calls/(CA\w+)\.json$")

    def page(key: str, sids: list[str], **extra: str) -> bytes:
        items = [{"sid": sid, "account_sid": ACCOUNT_SID, **extra} for sid in sids]
        return json.dumps({key: items, "next_page_uri": None, "page": 0}).encode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes = b"", ctype: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _authorized(self) -> bool:
            import base64

            expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
            return self.headers.get("Authorization") == f"Basic {expected}"

        def _listing(self) -> bool:
            """GET /Recordings.json?CallSid= and /Calls.json?ParentCallSid=."""
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if recording_list.match(parts.path):
                call_sid = query.get("CallSid", "")
                with fake.lock:
                    held = [
                        sid for sid in fake.recordings.get(call_sid, []) if sid not in fake.deleted
                    ]
                self._send(200, page("recordings", held, call_sid=call_sid))
                return True
            if call_list.match(parts.path):
                parent = query.get("ParentCallSid", "")
                with fake.lock:
                    legs = list(fake.legs.get(parent, []))
                self._send(200, page("calls", legs, parent_call_sid=parent))
                return True
            return False

        def do_GET(self) -> None:
            with fake.lock:
                fake.requests.append(("GET", self.path))
            if self._authorized() and self._listing():
                return None
            match = recording.match(self.path)
            if not self._authorized() or match is None or match.group(3) != "mp3":
                return self._send(404, b'{"code": 20404, "status": 404}')
            with fake.lock:
                if fake.fail_downloads > 0:
                    fake.fail_downloads -= 1
                    return self._send(500, b'{"status": 500}')
            self._send(200, fake.audio, "audio/mpeg")

        def do_DELETE(self) -> None:
            with fake.lock:
                fake.requests.append(("DELETE", self.path))
            found_call = call.match(self.path)
            if found_call is not None and self._authorized():
                with fake.lock:
                    if fake.fail_call_deletes > 0:
                        fake.fail_call_deletes -= 1
                        return self._send(500, b'{"code": 20500, "status": 500}')
                    if found_call.group(2) in fake.deleted_calls:
                        return self._send(404, b'{"code": 20404, "status": 404}')
                    fake.deleted_calls.append(found_call.group(2))
                return self._send(204)
            found = message.match(self.path)
            if found is not None and self._authorized():
                with fake.lock:
                    if fake.fail_message_deletes > 0:
                        fake.fail_message_deletes -= 1
                        return self._send(500, b'{"code": 20500, "status": 500}')
                    if found.group(2) in fake.deleted_messages:
                        return self._send(404, b'{"code": 20404, "status": 404}')
                    fake.deleted_messages.append(found.group(2))
                return self._send(204)
            match = recording.match(self.path)
            if not self._authorized() or match is None:
                return self._send(404, b'{"code": 20404, "status": 404}')
            with fake.lock:
                fake.deleted.append(match.group(2))
            self._send(204)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            with fake.lock:
                fake.requests.append(("POST", self.path))
            if not self._authorized() or messages.match(self.path) is None:
                return self._send(404, b'{"code": 20404, "status": 404}')
            code = fake.fail_codes.get(form.get("To", ""))
            if code:
                body = {"code": code, "message": "refused", "status": 400, "more_info": ""}
                return self._send(400, json.dumps(body).encode())
            with fake.lock:
                fake.messages.append(form)
                sid = f"SM{len(fake.messages):032x}"
            body = {
                "sid": sid,
                "account_sid": ACCOUNT_SID,
                "to": form.get("To"),
                "from": form.get("From"),
                "body": form.get("Body"),
                "status": "queued",
            }
            self._send(201, json.dumps(body).encode())

    return Handler


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def twilio_settings(settings: Any, fake_twilio: FakeTwilio) -> Any:
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_FROM_NUMBER = HOTLINE
    settings.TWILIO_API_BASE = fake_twilio.base
    settings.PUBLIC_URL = PUBLIC_URL
    # the fake takes any rate: no test waits a second between two texts (pacing has its own)
    settings.ALERT_RATE_PER_SECOND = {"twilio_sms": 1000, "twilio_voice": 1000}
    return settings


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(url, params))


def twilio_post(
    name: str,
    params: dict[str, str],
    *,
    query: str = "",
    signature: str | None = None,
    signed_params: dict[str, str] | None = None,
    client: Client | None = None,
    worker: bool = True,
) -> Any:
    """POST like Twilio: form-encoded, signed over PUBLIC_URL + path (+ query). Then,
    unless ``worker`` is False, do what a worker does next (``worker_catches_up``)."""
    path = reverse(name) + (f"?{query}" if query else "")
    if signature is None:
        signature = sign(PUBLIC_URL + path, signed_params if signed_params is not None else params)
    headers = {"X-Twilio-Signature": signature} if signature else {}
    response = (client or Client()).post(
        path, urlencode(params), content_type="application/x-www-form-urlencoded", headers=headers
    )
    if worker:
        worker_catches_up()
    return response


def worker_catches_up() -> None:
    """What a worker does after the webhooks (their tasks wait in the test queue, which
    no consumer reads): every stored text to its handlers, oldest first, and the
    deletions final status callbacks asked for — by the sweeper's own functions."""
    pending = InboundMessage.objects.filter(handled_at__isnull=True).order_by("pk")
    for message_id in pending.values_list("pk", flat=True):
        inbound_handle(message_id=message_id)
    final_sent_schedule()


def on_shift_now(network: Network, people: list[Person], role: str = "primary") -> Shift:
    now = timezone.now()
    shift = Shift.objects.filter(network=network, starts_at__lte=now, ends_at__gt=now).first()
    if shift is None:
        shift = Shift.objects.create(
            network=network, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=3)
        )
    for person in people:
        ShiftAssignment.objects.create(shift=shift, person=person, role=role)
    return shift
