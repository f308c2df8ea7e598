"""After a panic wipe the server says so (issue 15, point 4): every page is the plain,
translated "keys are gone" page (503, never a 500), /healthz answers 503 with the
reason, every webhook is refused before anything is stored, the worker sends nothing,
and the wipe is audited before it starts and logged (counts only) when it is done."""

from __future__ import annotations

import logging
import re
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from amparo.accounts.models import AuditEvent
from amparo.channels.models import Delivery
from amparo.channels.outbox import outbox_drain, outbox_drain_task, outbox_write
from amparo.channels.tasks import sweep
from amparo.core.middleware_panic import HEALTH_REASON
from amparo.core.sweeper import run_sweeps
from amparo.lib.crypto import keys

from .test_panic import key_file  # noqa: F401 - a fixture

NUMBER = "+14135550301"


def _panic() -> str:
    err = StringIO()
    call_command("panic", "--i-understand", stdout=StringIO(), stderr=err)
    return err.getvalue()


def _routes(patterns=None, prefix=""):
    """Every URL of the project, as (route, pattern) pairs."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _sample_path(route: str) -> str:
    """A route with each converter filled with a sample value, as a path."""
    route = re.sub(r"<(?:(\w+):)?\w+>", lambda m: "a-1" if m.group(1) == "slug" else "1", route)
    return "/" + route.lstrip("^").rstrip("$")


def _webhook_paths() -> list[str]:
    """Every inbound webhook (Twilio SMS, voice and status callbacks, Telegram, …): the
    routes under /hooks/, each converter filled with a sample value."""
    paths = []
    for route, _ in _routes():
        if route.startswith("hooks/"):
            paths.append("/" + re.sub(r"<(?:\w+:)?\w+>", "1", route))
    return paths


def _row_counts() -> dict[str, int]:
    return {
        m._meta.label: m._base_manager.count()
        for m in apps.get_models()
        if m._meta.app_config.name.startswith("amparo.") and m._meta.managed
    }


@pytest.mark.django_db
def test_every_page_and_healthz_say_the_keys_are_gone(coordinator_a, key_file):  # noqa: F811
    client = Client()
    assert client.get("/healthz").status_code == 200
    _panic()

    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json() == {"ok": False, "reason": HEALTH_REASON}
    paths = [_sample_path(route) for route, _ in _routes() if route != "healthz"]
    assert "/sandbox/" in paths and "/panic/" in paths and len(paths) > 50
    for path in [*paths, "/no/such/page"]:
        page = client.get(path)
        assert page.status_code == 503, path
        assert 'id="keys-gone"' in page.content.decode(), path
        assert "no-store" in page["Cache-Control"]
    posted = client.post("/accounts/login/", {"username": "alice@a.example", "password": "x"})
    assert posted.status_code == 503
    spanish = Client(headers={"accept-language": "es"}).get("/report/")
    assert spanish.status_code == 503
    assert "Este Amparo está cerrado" in spanish.content.decode()


@pytest.mark.django_db
def test_another_processs_wipe_is_seen_by_this_one(network_a, settings, tmp_path, monkeypatch):
    """A web worker that did not run the wipe finds the marker (looked for once a second;
    here every time)."""
    settings.DATA_DIR = tmp_path
    monkeypatch.setattr(keys, "PANIC_CHECK_SECONDS", 0)
    client = Client()
    assert client.get("/healthz").status_code == 200
    keys.panic_marker().write_text("panic wipe\n")
    assert client.get("/healthz").status_code == 503


@pytest.mark.django_db
def test_every_webhook_is_refused_and_nothing_is_stored(network_a, key_file):  # noqa: F811
    paths = _webhook_paths()
    assert len(paths) >= 6, paths  # Twilio SMS, status, voice (hotline and alerts), Telegram
    _panic()
    before = _row_counts()
    form = {"From": NUMBER, "To": "+14135550000", "Body": "REPORTE", "MessageSid": "SM1"}
    for path in paths:
        response = Client().post(path, form, headers={"x-twilio-signature": "forged"})
        assert response.status_code == 503, path
        telegram = Client().post(
            path,
            '{"update_id": 1, "message": {"text": "hola", "chat": {"id": 5}}}',
            content_type="application/json",
        )
        assert telegram.status_code == 503, path
    assert _row_counts() == before


@pytest.mark.django_db
def test_the_worker_sends_nothing_after_a_panic(network_a, key_file):  # noqa: F811
    delivery = outbox_write(
        network=network_a, channel="sandbox", to=NUMBER, body="hola", purpose="message"
    )
    assert delivery.sender
    _panic()

    assert outbox_drain(sender=delivery.sender) == 0
    assert outbox_drain_task.call_local(delivery.sender) == 0
    assert sweep() == 0
    assert run_sweeps() == {}  # the sweeper's tick: no failover, reminder or escalation
    # not claimed, not tried, not sent: the row is as it was
    after = Delivery.objects.values("status", "attempts", "claimed_at", "sent_at", "error")
    assert after.get(pk=delivery.pk) == {
        "status": Delivery.Status.QUEUED,
        "attempts": 0,
        "claimed_at": None,
        "sent_at": None,
        "error": "",
    }


@pytest.mark.django_db
def test_the_wipe_is_audited_before_and_logged_after(coordinator_a, key_file, caplog):  # noqa: F811
    with caplog.at_level(logging.INFO):
        errors = _panic()
    assert "could not record" not in errors
    (started,) = AuditEvent.objects.filter(action=AuditEvent.Action.KEYS)
    assert started.note == "panic wipe started from the command"
    (logged,) = [r for r in caplog.records if r.getMessage().startswith("panic wipe:")]
    assert logged.levelno == logging.CRITICAL
    text = logged.getMessage()
    assert "data keys destroyed" in text and "sessions revoked" in text
    for private in ("alice", "Alicia", str(key_file)):
        assert private not in text
    assert "could not be recorded" in _panic()  # a second run still wipes, and says so


@pytest.mark.django_db
def test_a_drain_already_running_stops_at_the_panic(network_a, key_file, monkeypatch):  # noqa: F811
    """Review of issue 15: the drain looked for the panic only when it started, then
    kept sending for up to 30 s."""
    from amparo.channels import outbox

    monkeypatch.setattr(keys, "PANIC_CHECK_SECONDS", 0)
    rows = [
        outbox_write(network=network_a, channel="sandbox", to=NUMBER, body=b, purpose="message")
        for b in ("uno", "dos", "tres")
    ]
    send = outbox.outbox_send

    def send_then_panic(*, delivery_id: int) -> str:
        status = send(delivery_id=delivery_id)
        keys.panic_marker().write_text("panic wipe\n")  # another process wiped meanwhile
        return status

    monkeypatch.setattr(outbox, "outbox_send", send_then_panic)
    assert outbox_drain(sender=rows[0].sender) == 1
    assert Delivery.objects.filter(status=Delivery.Status.QUEUED).count() == 2
