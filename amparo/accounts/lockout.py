"""Login lockout per (account, address), with django-axes, storing no email and no address.

Five wrong passwords for one account from one address lock that *pair* for fifteen
minutes (settings: ``AXES_*``). An attacker at one address therefore cannot lock
everybody out, and the person whose account is attacked can still log in from their
own connection. While a pair is locked even the right password is refused.

What reaches the counters (the ``axes`` cache) is never clear text:

- the account is :func:`username_key`: the blind index of the email typed (the same
  keyed hash the users table is searched by);
- the address is :func:`address_key`: an IPv6 address in ``fd00::/8`` made from a keyed
  hash of the client's address (found as the public forms find it, behind a proxy
  too: :func:`amparo.lib.addresses.client_address`, IPv6 cut to its /64);
- django-axes then hashes the pair once more (SHA-256) into the cache key, and the
  value is a count.

The counters live in a cache shared by every web process of the deployment: files
(:class:`LockedFileCache`, increments atomic across processes) or Redis
(``AMPARO_CACHE_URL``). django-axes's database tables exist (its app is installed) but
the cache handler never writes them. Its log lines name the path only
(:func:`client_str`).

A lockout writes one audit event (``login_failed`` with the note ``locked-out``, the
account's id when the email belongs to one; never the email or the address).
"""

from __future__ import annotations

import fcntl
import ipaddress
import os
import pickle
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from amparo.lib.addresses import client_address
from amparo.lib.crypto.blind import blind_index, email_index, normalize_email
from amparo.lib.crypto.classification import register

from .audit import audit_record
from .models import AuditEvent, User

ADDRESS_PURPOSE = "login-address"

# django-axes's own tables: installed with the app, never written (the cache handler is
# used; amparo/accounts/tests/test_lockout.py proves they stay empty). Were they ever
# used, the callables above would put only keyed hashes in username and ip_address.
_AXES_COMMON = ["id", "user_agent", "ip_address", "username", "http_accept", "path_info"]
register(
    "axes.accessattempt",
    internal=[*_AXES_COMMON, "attempt_time", "get_data", "post_data", "failures_since_start"],
)
register("axes.accesslog", internal=[*_AXES_COMMON, "attempt_time", "logout_time", "session_hash"])
register("axes.accessfailurelog", internal=[*_AXES_COMMON, "attempt_time", "locked_out"])
register("axes.accessattemptexpiration", internal=["access_attempt", "expires_at"])


# --- what django-axes counts by -------------------------------------------------------


def _typed_email(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    value: Any = None
    if credentials:
        value = credentials.get(settings.AXES_USERNAME_FORM_FIELD)
    if value is None and request is not None:
        value = getattr(request, "POST", {}).get(settings.AXES_USERNAME_FORM_FIELD)
    return value if isinstance(value, str) else ""


def username_key(request: HttpRequest | None, credentials: dict[str, Any] | None = None) -> str:
    """AXES_USERNAME_CALLABLE: the blind index of the email typed (never the email)."""
    return email_index(normalize_email(_typed_email(request, credentials)))


def address_key(request: HttpRequest) -> str:
    """AXES_CLIENT_IP_CALLABLE: a stand-in address derived from a keyed hash of the
    client's address, in the private range fd00::/8 so it can never be mistaken for a
    real one (and is a valid value wherever django-axes expects an IP address)."""
    digest = blind_index(ADDRESS_PURPOSE, client_address(request=request))
    return str(ipaddress.IPv6Address(int("fd" + digest[:30], 16)))


def client_str(
    username: Any, ip_address: Any, user_agent: Any, path_info: Any, request: Any
) -> str:
    """AXES_CLIENT_STR_CALLABLE: what django-axes's log lines say about a client — the
    path, nothing that identifies a person or a connection."""
    if isinstance(path_info, list | tuple):
        path_info = path_info[0] if path_info else ""
    return f'{{path_info: "{str(path_info)[:100]}"}}'


def cooloff_minutes() -> int:
    return max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the translated lockout page, 429, never cached. It does
    not repeat the email typed and says the same whether or not an account exists."""
    minutes = cooloff_minutes()
    response = render(request, "accounts/lockout.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    add_never_cache_headers(response)
    return response


class LockoutBackend(AxesStandaloneBackend):
    """The first authentication backend: refuses a locked-out pair before any password
    is checked. An ``authenticate()`` call without a request (only in-process code,
    e.g. the test client's ``login``) has no address to count and is left to the next
    backend."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        super().authenticate(request, username=username, password=password, **kwargs)
        return None


# --- the shared counters ----------------------------------------------------------------


class LockedFileCache(FileBasedCache):
    """Django's file cache with every access under one exclusive file lock, so that
    django-axes's add-or-increment is atomic across the threads and processes of one
    machine (the stock file cache reads and rewrites, and parallel failures could be
    lost). For web processes on several machines use Redis (``AMPARO_CACHE_URL``)."""

    if TYPE_CHECKING:  # FileBasedCache's internals, which django-stubs does not declare
        _dir: str

        def _createdir(self) -> None: ...
        def _key_to_file(self, key: Any, version: Any = None) -> str: ...
        def _is_expired(self, f: Any) -> bool: ...

    def __init__(self, dir: str, params: dict[str, Any]) -> None:
        super().__init__(dir, params)
        self._lock_path = os.path.join(self._dir, ".lock")
        self._held = threading.local()  # re-entrant within a thread (add calls set)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        if getattr(self._held, "depth", 0):
            self._held.depth += 1
            try:
                yield
            finally:
                self._held.depth -= 1
            return
        self._createdir()
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._held.depth = 1
            try:
                yield
            finally:
                self._held.depth = 0
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        with self._locked():  # never read a file another process is rewriting
            return super().get(key, default, version)

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        with self._locked():
            return super().add(key, value, timeout, version)

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        with self._locked():
            super().set(key, value, timeout, version)

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        with self._locked():
            # BaseCache.incr is get + set (two locks, and set would reset the expiry):
            # read and rewrite the value here, keeping the entry's expiry.
            value = super().get(key, version=version)
            if value is None:
                raise ValueError(f"Key '{key}' not found")
            new_value = value + delta
            with open(self._key_to_file(key, version), "r+b") as f:
                if self._is_expired(f):
                    raise ValueError(f"Key '{key}' not found")
                f.seek(0)
                expiry = pickle.load(f)  # noqa: S301 - our own cache file, as Django reads it
                f.seek(0)
                f.truncate()
                f.write(pickle.dumps(expiry, self.pickle_protocol))
                f.write(zlib.compress(pickle.dumps(new_value, self.pickle_protocol)))
            return int(new_value)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        with self._locked():
            return super().touch(key, timeout, version)

    def delete(self, key: Any, version: Any = None) -> bool:
        with self._locked():
            return super().delete(key, version)

    def clear(self) -> None:
        with self._locked():
            super().clear()


def counters_clear() -> int:
    """Forget every failed-login counter (tests; an operator after an attack). On Redis
    only Amparo's lockout keys are deleted, never the rest of a shared database."""
    from django.core.cache import caches

    cache = caches[settings.AXES_CACHE]
    if isinstance(cache, LockedFileCache):
        cache.clear()
        return 0
    prefix = settings.CACHES[settings.AXES_CACHE].get("KEY_PREFIX", "")
    client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    return int(client.delete(*keys)) if keys else 0


# --- audit ------------------------------------------------------------------------------


def on_locked_out(sender: Any, request: Any = None, username: Any = None, **kwargs: Any) -> None:
    """axes.signals.user_locked_out: one audit event when a pair becomes locked (not on
    every refused attempt afterwards)."""
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is not None and failures != settings.AXES_FAILURE_LIMIT:
        return
    user = User.objects.filter(email_index=username).first() if username else None
    audit_record(action=AuditEvent.Action.LOGIN_FAILED, obj=user, note="locked-out")


def connect() -> None:
    """Called from AccountsConfig.ready()."""
    from axes.signals import user_locked_out

    user_locked_out.connect(on_locked_out, dispatch_uid="amparo.accounts.lockout")
