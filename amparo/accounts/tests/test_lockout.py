"""Login lockout per (account, address): amparo/accounts/lockout.py with django-axes.

Real requests through the login page (the whole middleware stack, the real cache on
disk). A successful password login is checked as "an authenticated session exists":
the two-factor gate may send it on to the verify page rather than the dashboard.
"""

from __future__ import annotations

import hashlib
import threading
import zlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.core.cache import caches
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from amparo.accounts.lockout import LockedFileCache, address_key, username_key
from amparo.accounts.models import AuditEvent, User
from amparo.conftest import PASSWORD

pytestmark = pytest.mark.django_db

X = "198.51.100.7"
Y = "203.0.113.20"
LIMIT = 5


def attempt(client: Client, email: str, password: str, address: str) -> Any:
    return client.post(
        reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=address
    )


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def lock(email: str, address: str) -> Any:
    """Five wrong passwords for ``email`` from ``address``; returns the last answer."""
    client = Client()
    for _ in range(LIMIT - 1):
        response = attempt(client, email, "wrong password", address)
        assert response.status_code == 200  # the form again, with its error
    return attempt(client, email, "wrong password", address)


def test_five_wrong_passwords_lock_the_pair_even_for_the_right_password(
    coordinator_a: User,
) -> None:
    response = lock("alice@a.example", X)
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert "Too many attempts" in page and "15 minutes" in page
    assert "coordinator" in page
    assert "alice@a.example" not in page and X not in page

    client = Client()
    refused = attempt(client, "alice@a.example", PASSWORD, X)
    assert refused.status_code == 429
    assert not logged_in(client)


def test_four_wrong_passwords_do_not_lock(coordinator_a: User) -> None:
    client = Client()
    for _ in range(LIMIT - 1):
        attempt(client, "alice@a.example", "wrong password", X)
    response = attempt(client, "alice@a.example", PASSWORD, X)
    assert response.status_code == 302 and logged_in(client)


def test_other_user_same_address_can_log_in(coordinator_a: User, volunteer_a: User) -> None:
    assert lock("alice@a.example", X).status_code == 429
    client = Client()
    response = attempt(client, "bob@a.example", PASSWORD, X)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(volunteer_a.pk)


def test_same_user_other_address_can_log_in(coordinator_a: User) -> None:
    assert lock("alice@a.example", X).status_code == 429
    client = Client()
    response = attempt(client, "alice@a.example", PASSWORD, Y)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(coordinator_a.pk)


def test_the_email_is_counted_whatever_its_case(coordinator_a: User) -> None:
    """Typing the email in capitals is the same account, not a fresh counter."""
    client = Client()
    for email in ("alice@a.example", "ALICE@a.example", " Alice@A.example", "alice@a.example"):
        attempt(client, email, "wrong password", X)
    assert attempt(client, "ALICE@A.EXAMPLE", "wrong password", X).status_code == 429


def test_ipv6_neighbours_in_one_slash_64_are_one_address(coordinator_a: User) -> None:
    """One phone or household gets a whole /64: rotating the last 64 bits is no escape."""
    client = Client()
    for n in range(LIMIT - 1):
        attempt(client, "alice@a.example", "wrong password", f"2001:db8:1:2::{n + 1}")
    response = attempt(client, "alice@a.example", "wrong password", "2001:db8:1:2:ffff::9")
    assert response.status_code == 429
    other = Client()
    assert attempt(other, "alice@a.example", PASSWORD, "2001:db8:1:3::1").status_code == 302


def test_behind_a_proxy_the_forwarded_address_is_counted(
    coordinator_a: User, volunteer_a: User, settings: Any
) -> None:
    """Behind the reverse proxy every request comes from the proxy's own address; the
    client's is the last one in the configured header."""
    settings.CLIENT_ADDRESS_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    client = Client()
    for _ in range(LIMIT):
        response = client.post(
            reverse("login"),
            {"username": "alice@a.example", "password": "wrong password"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=X,
        )
    assert response.status_code == 429
    fresh = Client()
    ok = fresh.post(
        reverse("login"),
        {"username": "alice@a.example", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=Y,
    )
    assert ok.status_code == 302 and logged_in(fresh)


def _on_redis() -> bool:
    return not isinstance(caches["axes"], LockedFileCache)


def test_lock_lifts_after_fifteen_minutes(coordinator_a: User) -> None:
    if _on_redis():  # Redis keeps its own clock: check the expiry it was given
        assert lock("alice@a.example", X).status_code == 429
        cache: Any = caches["axes"]
        full_key = cache.make_and_validate_key(_cache_key("alice@a.example", X))
        assert 890 <= cache._cache.get_client().ttl(full_key) <= 900
        return
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert lock("alice@a.example", X).status_code == 429
    with time_machine.travel(start + timedelta(minutes=14, seconds=50), tick=False):
        # still counted (read without an attempt, which would restart the wait)
        key = _cache_key("alice@a.example", X)
        assert caches["axes"].get(key) == LIMIT
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        assert caches["axes"].get(key) is None
        client = Client()
        response = attempt(client, "alice@a.example", PASSWORD, X)
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(coordinator_a.pk)


def test_an_attempt_while_locked_restarts_the_wait(coordinator_a: User) -> None:
    if _on_redis():
        pytest.skip("time travel moves this process's clock, not the Redis server's")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        lock("alice@a.example", X)
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        assert attempt(Client(), "alice@a.example", PASSWORD, X).status_code == 429
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        # 15 minutes after the first lock, but only 10 after the last attempt
        assert attempt(Client(), "alice@a.example", PASSWORD, X).status_code == 429
    with time_machine.travel(start + timedelta(minutes=35, seconds=1), tick=False):
        client = Client()
        assert attempt(client, "alice@a.example", PASSWORD, X).status_code == 302
        assert logged_in(client)


def test_a_success_clears_the_count(coordinator_a: User) -> None:
    client = Client()
    for _ in range(LIMIT - 1):
        attempt(client, "alice@a.example", "wrong password", X)
    assert attempt(client, "alice@a.example", PASSWORD, X).status_code == 302
    again = Client()
    for _ in range(LIMIT - 1):
        assert attempt(again, "alice@a.example", "wrong password", X).status_code == 200


def _request(address: str) -> Any:
    return RequestFactory().post("/accounts/login/", REMOTE_ADDR=address)


def _cache_key(email: str, address: str) -> str:
    """The key django-axes builds from our two callables."""
    request = _request(address)
    pair = username_key(request, {"username": email}) + address_key(request)
    return "axes-" + hashlib.sha256(pair.encode()).hexdigest()


def _stored_blobs(cache: Any) -> Iterator[bytes]:
    """Every stored key and value as bytes (zlib-compressed values expanded too)."""
    if isinstance(cache, LockedFileCache):
        for path in Path(settings.CACHES["axes"]["LOCATION"]).glob("*.djcache"):
            raw = path.read_bytes()
            yield path.name.encode()
            yield raw
            for offset in range(len(raw)):  # the value is zlib data after the expiry
                try:
                    yield zlib.decompress(raw[offset:])
                    break
                except zlib.error:
                    continue
    else:  # Redis (AMPARO_CACHE_URL)
        client = cache._cache.get_client()
        for key in client.scan_iter():
            yield bytes(key)
            yield bytes(client.dump(key) or b"")


def test_stored_counters_hold_neither_the_email_nor_the_address(coordinator_a: User) -> None:
    assert lock("alice@a.example", X).status_code == 429
    cache = caches["axes"]
    # what django-axes would have keyed on without our callables is not there; ours is
    clear_pair = hashlib.sha256(("alice@a.example" + X).encode()).hexdigest()
    assert cache.get("axes-" + clear_pair) is None
    assert cache.get(_cache_key("alice@a.example", X)) == LIMIT
    needles = [
        "alice@a.example",
        "alice",
        "a.example",
        X,
        "198.51.100",
        hashlib.sha256(X.encode()).hexdigest()[:16],
    ]
    # and what is stored: names and values as they are on disk (or in Redis)
    blobs = list(_stored_blobs(cache))
    assert blobs
    for blob in blobs:
        for needle in needles:
            assert needle.encode() not in blob, needle
    # the keyed values themselves are not the clear ones either
    request = _request(X)
    assert "alice" not in username_key(request, {"username": "alice@a.example"})
    synthetic = address_key(request)
    assert synthetic.startswith("fd") and X not in synthetic
    assert synthetic != address_key(_request(Y))
    # django-axes's own tables are never written: no user agent, no form data
    assert AccessAttempt.objects.count() == 0
    assert AccessLog.objects.count() == 0
    assert AccessFailureLog.objects.count() == 0


def test_the_synthetic_address_depends_on_the_index_key(settings: Any) -> None:
    """Without the index key the stand-in address cannot be recomputed from a guess."""
    from amparo.lib.crypto import keys

    before = address_key(_request(X))
    original = settings.INDEX_KEY_RAW
    settings.INDEX_KEY_RAW = "YW5vdGhlci1pbmRleC1rZXktZm9yLXRoaXMtdGVzdCE="
    keys.reset_cache()
    try:
        after = address_key(_request(X))
    finally:
        settings.INDEX_KEY_RAW = original
        keys.reset_cache()
    assert address_key(_request(X)) == before
    assert before != after
    assert after.startswith("fd")


def test_a_lockout_is_audited_once_without_email_or_address(coordinator_a: User) -> None:
    lock("alice@a.example", X)
    attempt(Client(), "alice@a.example", "wrong password", X)  # while locked: no new event
    events = AuditEvent.objects.filter(note="locked-out")
    assert events.count() == 1
    event = events.get()
    assert event.action == AuditEvent.Action.LOGIN_FAILED
    assert event.target_type == "accounts.user" and event.target_id == str(coordinator_a.pk)
    stored = " ".join(str(v) for v in AuditEvent.objects.values_list("note", "fields", "target_id"))
    assert "alice" not in stored and X not in stored


def test_a_lockout_for_an_unknown_email_looks_the_same(coordinator_a: User) -> None:
    """No account enumeration: the page is identical whether or not the email exists."""
    known = lock("alice@a.example", X).content.decode()
    unknown = lock("nobody@a.example", X).content.decode()

    def strip(page: str) -> str:  # the CSRF token differs between requests
        import re

        return re.sub(r'value="[A-Za-z0-9]{64}"', "", page)

    assert strip(known) == strip(unknown)
    event = AuditEvent.objects.filter(note="locked-out").order_by("-id").first()
    assert event is not None and event.target_id == ""


def test_lockout_page_in_spanish(coordinator_a: User) -> None:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    for _ in range(LIMIT):
        response = attempt(client, "alice@a.example", "wrong password", X)
    assert response.status_code == 429
    page = response.content.decode()
    assert '<html lang="es">' in page
    assert "Demasiados intentos" in page
    assert "15 minutos" in page
    assert "coordinación" in page
    assert "alice@a.example" not in page


def test_parallel_failures_are_all_counted() -> None:
    """The file cache's add-or-increment is atomic: failures sent at once all count
    (with Django's stock file cache some increments are lost)."""
    cache = caches["axes"]
    key = "axes-parallel-test"
    per_thread, threads = 40, 6

    def hammer() -> None:
        for _ in range(per_thread):
            if not cache.add(key, 1, timeout=60):
                cache.incr(key)
                cache.touch(key, timeout=60)

    workers = [threading.Thread(target=hammer) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert cache.get(key) == per_thread * threads


def test_logs_name_neither_the_email_nor_the_address(
    coordinator_a: User, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    lock("alice@a.example", X)
    attempt(Client(), "alice@a.example", PASSWORD, X)
    text = caplog.text
    assert "AXES" in text  # django-axes did log the failures…
    assert "alice" not in text and X not in text  # …without who or from where
