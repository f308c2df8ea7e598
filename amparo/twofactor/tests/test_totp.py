"""Authenticator codes, recovery codes and the throttle, through the services the pages
use. Time is moved with time_machine; nothing of our own is mocked."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from django.db import close_old_connections, connection

from amparo.accounts.models import AuditEvent
from amparo.twofactor import services
from amparo.twofactor.models import RecoveryCode, SecondFactorThrottle, TOTPDevice

pytestmark = pytest.mark.django_db

# The middle of a 30-second step, so ±1 step is exactly one code either side.
T0 = datetime(2026, 3, 2, 15, 0, 15, tzinfo=UTC)


def code_at(secret: str, moment: datetime) -> str:
    return pyotp.TOTP(secret).at(moment)


@pytest.fixture
def device(coordinator_a):
    return services.totp_enrol_confirmed(user=coordinator_a)


def test_a_code_works_once_and_its_replay_is_refused(coordinator_a, device):
    with time_machine.travel(T0, tick=False):
        code = code_at(device.secret, T0)
        assert services.totp_check(user=coordinator_a, code=code) == device
        assert services.totp_check(user=coordinator_a, code=code) is None
    device.refresh_from_db()
    assert device.last_step == int(T0.timestamp()) // 30
    assert device.last_used_at is not None


def test_an_older_code_is_refused_after_a_newer_one(coordinator_a, device):
    previous = code_at(device.secret, T0 - timedelta(seconds=30))
    current = code_at(device.secret, T0)
    assert previous != current
    with time_machine.travel(T0, tick=False):
        assert services.totp_check(user=coordinator_a, code=current) is not None
        # still inside the ±1 window, but its step is before the one just used
        assert services.totp_check(user=coordinator_a, code=previous) is None


def test_one_step_either_side_is_accepted_two_steps_are_not(coordinator_a):
    for offset, accepted in ((-60, False), (-30, True), (30, True), (60, False)):
        device = services.totp_enrol_confirmed(user=coordinator_a)
        code = code_at(device.secret, T0 + timedelta(seconds=offset))
        with time_machine.travel(T0, tick=False):
            ok = services.totp_check(user=coordinator_a, code=code) is not None
        assert ok is accepted, offset
        device.delete()


def test_a_wrong_code_and_garbage_are_refused(coordinator_a, device):
    with time_machine.travel(T0, tick=False):
        right = code_at(device.secret, T0)
        wrong = f"{(int(right) + 1) % 1_000_000:06d}"
        for code in (wrong, "", "12345", "1234567", "abcdef", "12 34 5x"):
            assert services.totp_check(user=coordinator_a, code=code) is None, code
        # spaces a person types are fine
        assert services.totp_check(user=coordinator_a, code=f"{right[:3]} {right[3:]}")


def test_someone_elses_code_is_refused(coordinator_a, volunteer_a, device):
    with time_machine.travel(T0, tick=False):
        assert services.totp_check(user=volunteer_a, code=code_at(device.secret, T0)) is None


def test_two_requests_racing_with_one_code_cannot_both_pass(transactional_db, coordinator_a):
    device = services.totp_enrol_confirmed(user=coordinator_a)
    code = pyotp.TOTP(device.secret).now()
    start = threading.Barrier(4)
    results: list[bool] = []

    def attempt() -> None:
        try:
            start.wait()
            results.append(services.totp_check(user=coordinator_a, code=code) is not None)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == [False, False, False, True]


def test_five_failures_lock_the_second_step_for_fifteen_minutes(coordinator_a, device):
    with time_machine.travel(T0, tick=False) as traveller:
        for attempt in range(1, 5):
            outcome = services.second_factor_verify(user=coordinator_a, code="000000")
            assert not outcome.ok and outcome.locked_until is None, attempt
        fifth = services.second_factor_verify(user=coordinator_a, code="000001")
        assert fifth.locked_until == T0 + timedelta(minutes=15)
        # while locked even the right code is refused, and not spent
        right = code_at(device.secret, T0)
        locked = services.second_factor_verify(user=coordinator_a, code=right)
        assert not locked.ok and locked.locked_until == T0 + timedelta(minutes=15)
        # recovery codes are locked out too (any method)
        codes = services.recovery_codes_generate(user=coordinator_a)
        assert not services.second_factor_verify(user=coordinator_a, code=codes[0]).ok
        assert services.recovery_codes_left(coordinator_a) == 10

        traveller.move_to(T0 + timedelta(minutes=14, seconds=59))
        assert services.locked_until(coordinator_a) is not None
        traveller.move_to(T0 + timedelta(minutes=15, seconds=1))
        assert services.locked_until(coordinator_a) is None
        now = T0 + timedelta(minutes=15, seconds=1)
        assert services.second_factor_verify(
            user=coordinator_a, code=code_at(device.secret, now)
        ).ok
    throttle = SecondFactorThrottle.objects.get(user=coordinator_a)
    assert throttle.failures == 0 and throttle.locked_until is None
    notes = list(
        AuditEvent.objects.filter(actor=coordinator_a).order_by("id").values_list("action", "note")
    )
    assert notes.count(("login_failed", "second factor failed: totp")) == 5
    assert notes.count(("login_failed", "second-factor-locked")) == 1
    assert notes[-1] == ("login", "second factor passed: totp")


def test_a_success_resets_the_count(coordinator_a, device):
    with time_machine.travel(T0, tick=False):
        for _ in range(4):
            services.second_factor_verify(user=coordinator_a, code="000000")
        assert services.second_factor_verify(user=coordinator_a, code=code_at(device.secret, T0)).ok
        for _ in range(4):
            assert (
                services.second_factor_verify(user=coordinator_a, code="000000").locked_until
                is None
            )
        assert services.locked_until(coordinator_a) is None


def test_a_recovery_code_works_once_and_never_again(coordinator_a, device):
    codes = services.recovery_codes_generate(user=coordinator_a)
    assert len(codes) == 10 and len(set(codes)) == 10
    for code in codes:
        assert len(code) == 14 and code.count("-") == 2
        assert not set(code.replace("-", "")) & set("ilou")
    first = codes[0]
    # case, spaces and dashes do not matter
    typed = " " + first.upper().replace("-", " ") + " "
    outcome = services.second_factor_verify(user=coordinator_a, code=typed, recovery=True)
    assert outcome.ok and outcome.method == "recovery" and outcome.recovery_left == 9
    again = services.second_factor_verify(user=coordinator_a, code=first, recovery=True)
    assert not again.ok
    assert services.recovery_codes_left(coordinator_a) == 9
    # a code another account holds does nothing for this one
    assert not services.recovery_code_use(user=coordinator_a, code="0000-0000-0000")
    # kept only as keyed hashes
    stored = set(
        RecoveryCode.objects.filter(user=coordinator_a).values_list("code_hash", flat=True)
    )
    for code in codes:
        assert code not in stored and code.replace("-", "") not in stored
    assert services.recovery_code_hash(codes[1]) in stored
    use = AuditEvent.objects.filter(actor=coordinator_a, note__startswith="recovery code used")
    assert use.count() == 1 and first not in use.get().note


def test_new_recovery_codes_void_the_old_set(coordinator_a, device):
    old = services.recovery_codes_generate(user=coordinator_a)
    new = services.recovery_codes_generate(user=coordinator_a)
    assert not set(old) & set(new)
    assert RecoveryCode.objects.filter(user=coordinator_a).count() == 10
    assert not services.recovery_code_use(user=coordinator_a, code=old[3])
    assert services.recovery_code_use(user=coordinator_a, code=new[3])


def test_the_secret_is_sealed_in_the_database(coordinator_a, device):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT secret FROM {TOTPDevice._meta.db_table} WHERE id = %s",  # noqa: S608
            [device.pk],
        )
        (raw,) = cursor.fetchone()
    raw_bytes = raw.encode() if isinstance(raw, str) else bytes(raw)
    assert device.secret and len(device.secret) == 32
    assert device.secret.encode() not in raw_bytes
    assert device.secret[:8].encode() not in raw_bytes
    # the model reads it back
    assert TOTPDevice.objects.get(pk=device.pk).secret == device.secret


def test_enrolment_needs_a_right_code_and_spends_its_step(coordinator_a):
    device = services.totp_enrol_start(user=coordinator_a)
    assert not device.confirmed
    with time_machine.travel(T0, tick=False):
        assert not services.totp_enrol_confirm(device=device, code="000000")
        code = code_at(device.secret, T0)
        assert services.totp_enrol_confirm(device=device, code=code)
        assert device.confirmed
        # the code typed to confirm cannot then be used to log in
        assert services.totp_check(user=coordinator_a, code=code) is None
    event = AuditEvent.objects.get(note="second factor enrolled: totp")
    assert event.target_id == str(device.pk) and device.secret not in event.note


def test_a_device_started_in_another_session_is_not_shown_again(coordinator_a):
    first = services.totp_enrol_start(user=coordinator_a)
    assert services.totp_enrol_start(user=coordinator_a, reuse_pk=first.pk) == first
    other = services.totp_enrol_start(user=coordinator_a)
    assert other != first and other.secret != first.secret


def test_abandoned_set_ups_do_not_pile_up(coordinator_a):
    with time_machine.travel(T0, tick=False) as traveller:
        first = services.totp_enrol_start(user=coordinator_a)
        services.totp_enrol_start(user=coordinator_a)
        assert TOTPDevice.objects.filter(user=coordinator_a, confirmed=False).count() == 2
        traveller.move_to(T0 + timedelta(hours=2))
        services.totp_enrol_start(user=coordinator_a)
    assert TOTPDevice.objects.filter(user=coordinator_a, confirmed=False).count() == 1
    assert not TOTPDevice.objects.filter(pk=first.pk).exists()
