"""Personas for every test (DESIGN.md "Tenancy"): coordinator of A, volunteer of A,
coordinator of B. Small fixtures; each test asks for what it uses."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from amparo.accounts.lockout import counters_clear
from amparo.accounts.models import Network, User
from amparo.channels.outbox import BREAKER
from amparo.tests.factories import PASSWORD as PASSWORD
from amparo.tests.factories import NetworkFactory, UserFactory
from amparo.twofactor.session import SESSION_KEY


def make_network(slug: str, name: str) -> Network:
    return NetworkFactory.create(slug=slug, name=name)


def make_user(
    network: Network | None, email: str, roles: list[str], *, name: str = "", language: str = "en"
) -> User:
    return UserFactory.create(
        network=network, email=email, roles=roles, display_name=name, language=language
    )


def mark_client_verified(client: Client) -> Client:
    """Mark a logged-in test client's session as past the second factor (as the
    two-factor verify page does), so a test about something else starts where a
    person who logged in fully would be."""
    session = client.session
    session[SESSION_KEY] = {"at": int(time.time()), "method": "test"}
    session.save()
    return client


def client_for(user: User, language: str = "", **client_kwargs: Any) -> Client:
    """A client logged in as ``user`` with both factors passed (in ``language``, if given)."""
    client = Client(**client_kwargs)
    client.force_login(user)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return mark_client_verified(client)


def run_queued_tasks() -> int:
    """Run every task the requests enqueued, as a worker would, for tests without a
    consumer (the queue is the test process's own file). Returns how many ran."""
    from unittest import mock

    from huey.contrib.djhuey import HUEY

    ran = 0
    # a worker's task closes its database connection; here it is the test's transaction
    with mock.patch("huey.contrib.djhuey.close_old_connections", lambda: None):
        while (task := HUEY.dequeue()) is not None:
            HUEY.execute(task)
            ran += 1
    return ran


def password_mails() -> list[Any]:
    """The "forgot password" mails the requests so far led to: their tasks run, the
    outbox rows sent (amparo/core/password_reset.py); ``django.core.mail.outbox``."""
    from django.core import mail

    from amparo.channels.models import Delivery
    from amparo.channels.outbox import outbox_drain

    run_queued_tasks()
    senders = Delivery.objects.filter(purpose="password-reset", status="queued")
    for sender in set(senders.values_list("sender", flat=True)):
        outbox_drain(sender=sender)
    return list(mail.outbox)


def sessions_of(user: User) -> int:
    """How many sessions are logged in as ``user``."""
    return sum(
        1 for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk)
    )


def count_queries(client: Client, url: str) -> tuple[int, str]:
    """How many SQL queries a GET of ``url`` makes, and the page (it must answer 200)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries), response.content.decode()


def password_only_client(user: User) -> Client:
    """A client that passed the password and nothing else (the two-factor gate's case)."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _the_networks_time_zone() -> Iterator[None]:
    """Every page runs in its network's time zone (NetworkMiddleware), and the test
    networks keep the default one. A test's own "today" must be the same day, or
    between midnight UTC and midnight in New York a training completed "today" is
    in the network's future (found when CI ran after 00:00 UTC)."""
    from django.utils import timezone

    timezone.activate(Network._meta.get_field("time_zone").default)
    yield
    timezone.deactivate()


@pytest.fixture(autouse=True)
def _default_language_after_each_test() -> Iterator[None]:
    """A request in Spanish leaves Spanish active in the test's thread (Django's locale
    middleware does not reset it); code a later test calls directly must start in English."""
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def _clear_login_lockout_after_each_test() -> Iterator[None]:
    """Failed-login counters (amparo/accounts/lockout.py) live in a cache, not the test
    database: clear them so one test's wrong passwords never lock out the next."""
    yield

    counters_clear()


@pytest.fixture(autouse=True)
def _counts_forgotten_after_each_test() -> Iterator[None]:
    """Cached counts of people (amparo/people/counts.py) live in the process's cache, not
    the test database: the next test's network may get the same id."""
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _circuits_closed_after_each_test() -> Iterator[None]:
    """The outbox's circuit breaker lives in the process's memory, not the database:
    close every circuit so one test's failing provider never holds back the next."""
    yield
    BREAKER.reset()


@pytest.fixture
def network_a(db: Any) -> Network:
    return make_network("net-a", "Network A")


@pytest.fixture
def network_b(db: Any) -> Network:
    return make_network("net-b", "Network B")


@pytest.fixture
def coordinator_a(network_a: Network) -> User:
    return make_user(network_a, "alice@a.example", ["coordinator"], name="Alicia Álvarez")


@pytest.fixture
def volunteer_a(network_a: Network) -> User:
    return make_user(network_a, "bob@a.example", ["committee"], name="Roberto Bravo")


@pytest.fixture
def coordinator_b(network_b: Network) -> User:
    return make_user(network_b, "charlie@b.example", ["coordinator"], name="Carla Castro")


@pytest.fixture
def huey_consumer(transactional_db: Any) -> Iterator[Any]:
    """A real Huey consumer (threads) on the configured queue: SQLite file, or Redis in CI."""
    from django.utils.module_loading import autodiscover_modules
    from huey import signals
    from huey.contrib.djhuey import HUEY

    autodiscover_modules("tasks")  # as `amparo worker` does: every task and start-up hook
    HUEY.flush()
    # The test starts once the workers' start-up work is done (their hooks queue sweeps):
    # a sweep still going would race the test for the rows it writes.
    started: list[int] = []
    running: set[str] = set()

    def executing(_signal: str, task: Any, *_args: Any, **_kw: Any) -> None:
        running.add(task.id)

    def ended(_signal: str, task: Any, *_args: Any, **_kw: Any) -> None:
        running.discard(task.id)

    ends = [s for s in signals.__dict__ if s.startswith("SIGNAL_")]
    ends = [getattr(signals, s) for s in ends if s not in {"SIGNAL_EXECUTING", "SIGNAL_ENQUEUED"}]
    HUEY.signal(signals.SIGNAL_EXECUTING)(executing)
    HUEY.signal(*ends)(ended)
    HUEY.on_startup("test-workers-started")(lambda: started.append(1))
    consumer = HUEY.create_consumer(
        workers=2, worker_type="thread", periodic=False, initial_delay=0.05, max_delay=0.1
    )
    consumer.start()
    try:
        assert wait_for(lambda: len(started) == 2 and not running and not HUEY.pending_count())
        yield HUEY
    finally:
        consumer.stop(graceful=True)
        HUEY.unregister_on_startup("test-workers-started")
        HUEY.disconnect_signal(executing)
        HUEY.disconnect_signal(ended)
        HUEY.flush()


WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@contextmanager
def transactions_counted() -> Iterator[list[str]]:
    """The transactions committed inside the block (needs ``transactional_db``): each
    atomic block's commit (on SQLite every one takes the write lock: IMMEDIATE), and
    each write run outside one (autocommit: a transaction of its own)."""
    seen: list[str] = []
    commit = connection.commit

    def counted_commit() -> None:
        seen.append("COMMIT")
        commit()

    def observe(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if not connection.in_atomic_block and sql.lstrip().upper().startswith(WRITES):
            seen.append(sql[:80])
        return execute(sql, params, many, context)

    connection.commit = counted_commit  # type: ignore[method-assign]
    try:
        with connection.execute_wrapper(observe):
            yield seen
    finally:
        del connection.commit


def wait_for(predicate: Any, timeout: float = 15.0) -> bool:
    """Poll until predicate() is true; for waiting on background work, never for timing."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


def send_now(delivery: Any) -> str:
    """Drain the delivery's sender as a worker would (what is due, paced); its status."""
    from amparo.channels.models import Delivery
    from amparo.channels.outbox import outbox_drain

    outbox_drain(sender=delivery.sender)
    return str(Delivery.objects.get(pk=delivery.pk).status)


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    """Remove this run's Huey queue file (the test database removes itself)."""
    filename = settings.HUEY.get("filename")
    if filename and "huey-test-" in filename:
        for suffix in ("", "-wal", "-shm"):
            Path(filename + suffix).unlink(missing_ok=True)
    axes_dir = settings.CACHES.get("axes", {}).get("LOCATION", "")
    if "axes-test-" in str(axes_dir):  # this run's login-lockout counters
        shutil.rmtree(axes_dir, ignore_errors=True)


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Every test that runs a real Huey consumer is a background test, so CI runs it
    again with the queue on Redis (`pytest -m background`)."""
    for item in items:
        if "huey_consumer" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.background)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The figures tests measured (``record_property("figure", text)``: e.g. /healthz's
    p95 during the slow-client attack), listed after the run (also in --junitxml)."""
    lines = [
        f"{report.nodeid}: {value}"
        for kind in ("passed", "failed")
        for report in terminalreporter.stats.get(kind, [])
        for name, value in getattr(report, "user_properties", [])
        if name == "figure" and report.when == "call"
    ]
    if lines:
        terminalreporter.write_sep("-", "figures measured")
        for line in lines:
            terminalreporter.write_line(line)
