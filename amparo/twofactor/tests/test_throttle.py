"""The second-factor throttle under pressure: attempts taken before the check (so a
flood of requests at once gets at most five checks), and locks that double each time
until a success. Time is moved with time_machine; nothing of our own is mocked."""

from __future__ import annotations

import html
import threading
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from django.db import close_old_connections, connection
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime, override

from amparo.accounts.models import AuditEvent
from amparo.conftest import password_only_client
from amparo.twofactor import services
from amparo.twofactor.models import SecondFactorThrottle, TOTPDevice

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 15, 0, 15, tzinfo=UTC)
FAILED = "second factor failed: totp"


def checks(user) -> int:
    """How many attempts got their code checked (each failed check writes one row)."""
    return AuditEvent.objects.filter(actor=user, action="login_failed", note=FAILED).count()


def locks(user) -> list[str]:
    return list(
        AuditEvent.objects.filter(actor=user, note=services.LOCKED_NOTE).values_list(
            "note", flat=True
        )
    )


def fail_window(user) -> services.Outcome:
    """MAX_FAILURES wrong codes in a row; the last outcome."""
    outcome = None
    for _ in range(services.MAX_FAILURES):
        outcome = services.second_factor_verify(user=user, code="000000")
        assert not outcome.ok
    assert outcome is not None
    return outcome


def test_ten_wrong_codes_racing_get_at_most_five_checks_and_lock(transactional_db, coordinator_a):
    device = services.totp_enrol_confirmed(user=coordinator_a)
    wrong = f"{(int(pyotp.TOTP(device.secret).now()) + 500_000) % 1_000_000:06d}"
    racers = 10
    start = threading.Barrier(racers)
    outcomes: list[services.Outcome] = []
    errors: list[BaseException] = []

    def attempt() -> None:
        try:
            start.wait()
            outcomes.append(services.second_factor_verify(user=coordinator_a, code=wrong))
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert len(outcomes) == racers and not any(outcome.ok for outcome in outcomes)
    # at most MAX_FAILURES of them had their code checked; the rest were refused as locked
    assert checks(coordinator_a) == services.MAX_FAILURES
    refused = [outcome for outcome in outcomes if not outcome.method]
    assert len(refused) == racers - services.MAX_FAILURES
    assert all(outcome.locked_until is not None for outcome in refused)
    # and the account ends locked, by exactly one lock
    assert services.locked_until(coordinator_a) is not None
    assert locks(coordinator_a) == [services.LOCKED_NOTE]
    throttle = SecondFactorThrottle.objects.get(user=coordinator_a)
    assert throttle.locks == 1 and throttle.failures == 0


def test_a_right_code_waits_while_the_window_is_full(coordinator_a):
    """Five attempts taken and still being checked: a sixth is refused before its code is
    looked at, even the right one, and the code is not spent."""
    device = services.totp_enrol_confirmed(user=coordinator_a)
    with time_machine.travel(T0, tick=False):
        for _ in range(services.MAX_FAILURES):
            assert services.attempt_reserve(user=coordinator_a) is None
        right = pyotp.TOTP(device.secret).at(T0)
        outcome = services.second_factor_verify(user=coordinator_a, code=right)
        assert not outcome.ok and outcome.locked_until == T0 + timedelta(minutes=15)
        assert TOTPDevice.objects.get(pk=device.pk).last_step == 0  # not spent
        # the fifth check fails: that failure locks
        until = services.attempt_failed(user=coordinator_a, method="totp", reserved=True)
        assert until == T0 + timedelta(minutes=15)
        # the four others finishing later neither count again nor lock again
        for _ in range(4):
            assert services.attempt_failed(user=coordinator_a, method="totp", reserved=True) is None
    assert SecondFactorThrottle.objects.get(user=coordinator_a).failures == 0
    assert locks(coordinator_a) == [services.LOCKED_NOTE]


def test_each_lock_lasts_twice_as_long_and_a_success_starts_again(coordinator_a):
    device = services.totp_enrol_confirmed(user=coordinator_a)
    with time_machine.travel(T0, tick=False) as traveller:
        assert fail_window(coordinator_a).locked_until == T0 + timedelta(minutes=15)
        # wrong codes during the lock are refused unchecked: no count, no longer lock
        for _ in range(10):
            services.second_factor_verify(user=coordinator_a, code="000000")
        assert checks(coordinator_a) == 5
        assert services.locked_until(coordinator_a) == T0 + timedelta(minutes=15)

        second = T0 + timedelta(minutes=15, seconds=1)
        traveller.move_to(second)
        assert services.locked_until(coordinator_a) is None
        assert fail_window(coordinator_a).locked_until == second + timedelta(minutes=30)

        third = second + timedelta(minutes=30, seconds=1)
        traveller.move_to(third)
        assert fail_window(coordinator_a).locked_until == third + timedelta(minutes=60)

        # a success after the lock lifts forgets the locks: the next one is 15 minutes
        after = third + timedelta(minutes=60, seconds=15)
        traveller.move_to(after)
        assert services.second_factor_verify(
            user=coordinator_a, code=pyotp.TOTP(device.secret).at(after)
        ).ok
        throttle = SecondFactorThrottle.objects.get(user=coordinator_a)
        assert (throttle.failures, throttle.locks, throttle.locked_until) == (0, 0, None)
        assert fail_window(coordinator_a).locked_until == after + timedelta(minutes=15)
    assert locks(coordinator_a) == [services.LOCKED_NOTE] * 4


def test_locks_grow_to_a_day_and_no_further(coordinator_a):
    services.totp_enrol_confirmed(user=coordinator_a)
    minutes = []
    moment = T0
    with time_machine.travel(T0, tick=False) as traveller:
        for _ in range(10):
            until = fail_window(coordinator_a).locked_until
            assert until is not None
            minutes.append(int((until - moment).total_seconds() // 60))
            moment = until + timedelta(seconds=1)
            traveller.move_to(moment)
    assert minutes == [15, 30, 60, 120, 240, 480, 960, 1440, 1440, 1440]


def test_a_success_gives_the_attempts_back(coordinator_a):
    device = services.totp_enrol_confirmed(user=coordinator_a)
    with time_machine.travel(T0, tick=False):
        for _ in range(services.MAX_FAILURES - 1):
            services.second_factor_verify(user=coordinator_a, code="000000")
        assert SecondFactorThrottle.objects.get(user=coordinator_a).failures == 4
        right = pyotp.TOTP(device.secret).at(T0)
        assert services.second_factor_verify(user=coordinator_a, code=right).ok
        assert SecondFactorThrottle.objects.get(user=coordinator_a).failures == 0
        # nothing typed is not an attempt
        empty = services.second_factor_verify(user=coordinator_a, code="  ")
        assert empty.empty and not empty.ok
    assert SecondFactorThrottle.objects.get(user=coordinator_a).failures == 0


def test_the_verify_page_names_the_day_of_a_lock_that_ends_on_another_day(network_a, coordinator_a):
    services.totp_enrol_confirmed(user=coordinator_a)
    zone = network_a.zone()  # the page speaks the network's time
    evening = datetime(2026, 3, 2, 22, 0, 15, tzinfo=zone)
    with time_machine.travel(evening, tick=False):
        # four locks already since the last success: the fifth lasts 240 minutes
        SecondFactorThrottle.objects.create(user=coordinator_a, locks=4)
        until = fail_window(coordinator_a).locked_until
        assert until == evening + timedelta(hours=4)
        page = password_only_client(coordinator_a).get(reverse("twofactor:verify"))
        text = html.unescape(page.content.decode())
        with override(zone):
            moment = date_format(localtime(until), "SHORT_DATETIME_FORMAT")
        assert moment.startswith("03/03/2026")
        assert f"try again after {moment}." in text
        assert 'name="code"' not in text
