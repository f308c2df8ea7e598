"""Why an account is off, and who may turn it back on.

A membership ends in one transaction (membership, account if it was the last network,
sessions). Turning a membership back on in network A turns the account back on only if
it was off for want of a network, or if it was suspended through that same membership:
a suspension in network B, or the operator's decision, is not undone from network A.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection
from django.test import Client
from django.urls import reverse

from amparo.accounts.models import AuditEvent, Membership, Network, User
from amparo.accounts.reading import account_suspend
from amparo.accounts.services import (
    membership_activate,
    membership_deactivate,
    membership_grant,
    user_deactivate,
    user_reactivate,
)
from amparo.conftest import PASSWORD, client_for, make_user, sessions_of

pytestmark = pytest.mark.django_db

Off = User.Deactivation


def membership(user: User, network: Network) -> Membership:
    return Membership.objects.get(user=user, network=network)


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def password_opens(email: str) -> bool:
    client = Client()
    client.post(reverse("login"), {"username": email, "password": PASSWORD})
    return "_auth_user_id" in client.session


def turn_on(coordinator: User, target: Membership) -> str:
    """The coordinator presses "Turn this account back on" on the Logins page."""
    url = reverse("logins:activate", kwargs={"membership_id": target.pk})
    response = client_for(coordinator).post(url, follow=True)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def dual(network_a: Network, network_b: Network) -> User:
    """A person in both networks (committee in A and in B)."""
    user = make_user(network_a, "dual@example.org", ["committee"], name="Dana Duval")
    membership_grant(user=user, network=network_b, roles=["committee"])
    return user


# --- 1. a suspension in B is not undone from A ---------------------------------------------


def test_suspended_in_b_stays_off_when_a_turns_its_membership_back_on(
    network_a: Network,
    network_b: Network,
    coordinator_a: User,
    coordinator_b: User,
    dual: User,
) -> None:
    # A ends its membership: the person still has B, the account stays on
    membership_deactivate(membership=membership(dual, network_a), by=coordinator_a)
    assert fresh(dual).is_active
    # B suspends them for unusual reading: their last network, so the account goes off
    in_b = membership(dual, network_b)
    response = client_for(coordinator_b).post(
        reverse("audit:suspend", kwargs={"membership_id": in_b.pk})
    )
    assert response.status_code == 302
    off = fresh(dual)
    assert not off.is_active
    assert off.deactivation_reason == Off.SUSPENDED
    assert off.deactivated_by_membership_id == in_b.pk

    # A's coordinator turns A's membership back on: the membership is on, the account is not
    page = turn_on(coordinator_a, membership(dual, network_a))
    assert membership(dual, network_a).is_active
    assert not fresh(dual).is_active
    assert fresh(dual).deactivation_reason == Off.SUSPENDED
    assert not password_opens("dual@example.org")
    assert "stays turned off" in page and "suspended in another network" in page
    assert "Only a coordinator of that network, or the operator" in page
    assert "Network B" not in page and "net-b" not in page  # which network is not said
    event = AuditEvent.objects.filter(
        target_type="accounts.membership", target_id=str(membership(dual, network_a).pk)
    ).latest("id")
    assert event.note == "reactivated user_reactivated=0 user_active=0"

    # B's coordinator lifts the suspension: the account is on again, with both networks
    page = turn_on(coordinator_b, in_b)
    assert "can use this network again" in page
    back = fresh(dual)
    assert back.is_active and back.deactivation_reason == ""
    assert back.deactivated_by_membership_id is None
    assert password_opens("dual@example.org")


def test_suspending_a_membership_already_off_keeps_the_account_off(
    network_a: Network,
    network_b: Network,
    coordinator_a: User,
    coordinator_b: User,
    dual: User,
) -> None:
    """Off for want of a network, then suspended in A: B can no longer turn it back on."""
    membership_deactivate(membership=membership(dual, network_a), by=coordinator_a)
    membership_deactivate(membership=membership(dual, network_b), by=coordinator_b)
    assert fresh(dual).deactivation_reason == Off.LAST_NETWORK
    client = client_for(dual)
    account_suspend(membership=membership(dual, network_a), by=coordinator_a, reason="x")
    assert sessions_of(dual) == 0
    assert client.get(reverse("dashboard")).status_code == 302
    assert fresh(dual).deactivation_reason == Off.SUSPENDED
    assert membership_activate(membership=membership(dual, network_b), by=coordinator_b)
    assert not fresh(dual).is_active


# --- 2. off because its last network ended: any network turns it back on --------------------


def test_off_because_its_last_network_ended_is_turned_back_on(
    network_a: Network, coordinator_a: User, volunteer_a: User
) -> None:
    url = reverse(
        "logins:deactivate", kwargs={"membership_id": membership(volunteer_a, network_a).pk}
    )
    client_for(coordinator_a).post(url)
    off = fresh(volunteer_a)
    assert not off.is_active
    assert off.deactivation_reason == Off.LAST_NETWORK
    assert off.deactivated_by_membership_id == membership(volunteer_a, network_a).pk
    assert "can use this network again" in turn_on(
        coordinator_a, membership(volunteer_a, network_a)
    )
    assert fresh(volunteer_a).is_active and fresh(volunteer_a).deactivation_reason == ""
    assert password_opens("bob@a.example")


def test_off_for_want_of_a_network_is_turned_back_on_by_the_other_network(
    network_a: Network,
    network_b: Network,
    coordinator_a: User,
    coordinator_b: User,
    dual: User,
) -> None:
    """B's "turn off" was about B only; A giving the person a network again restores the
    log-in, as it would have if A had turned them back on first (order does not matter)."""
    membership_deactivate(membership=membership(dual, network_b), by=coordinator_b)
    membership_deactivate(membership=membership(dual, network_a), by=coordinator_a)
    assert fresh(dual).deactivation_reason == Off.LAST_NETWORK
    assert membership_activate(membership=membership(dual, network_b), by=coordinator_b)
    assert fresh(dual).is_active
    assert not membership(dual, network_a).is_active  # A's decision stands


# --- 3. the operator's decision is not undone from a network ------------------------------


def test_the_operators_deactivation_is_not_undone_by_a_network(
    network_a: Network, coordinator_a: User, volunteer_a: User
) -> None:
    user_deactivate(user=volunteer_a, by=None)
    assert fresh(volunteer_a).deactivation_reason == Off.OPERATOR
    target = membership(volunteer_a, network_a)
    membership_deactivate(membership=target, by=coordinator_a)
    assert fresh(volunteer_a).deactivation_reason == Off.OPERATOR  # not weakened
    page = turn_on(coordinator_a, target)
    assert membership(volunteer_a, network_a).is_active
    assert not fresh(volunteer_a).is_active
    assert "turned off for the whole server" in page
    assert "Only the operator of this server can turn it back on." in page
    # the operator can
    assert user_reactivate(user=volunteer_a)
    assert fresh(volunteer_a).is_active and password_opens("bob@a.example")
    assert not user_reactivate(user=volunteer_a)


def test_an_account_off_for_an_unrecorded_reason_stays_off(
    network_a: Network, coordinator_a: User, volunteer_a: User
) -> None:
    """Accounts turned off before the reason was recorded are treated like the operator's."""
    target = membership(volunteer_a, network_a)
    Membership.objects.filter(pk=target.pk).update(is_active=False)
    User.objects.filter(pk=volunteer_a.pk).update(is_active=False)
    assert "turned off for the whole server" in turn_on(coordinator_a, target)
    assert not fresh(volunteer_a).is_active


# --- 4. one transaction -----------------------------------------------------------------


@contextmanager
def refused(table: str, event: str) -> Iterator[None]:
    """A database trigger that makes every ``event`` on ``table`` fail while inside:
    the real database refusing a write."""
    name = f"amparo_test_refuse_{table}"
    if connection.vendor == "sqlite":
        create = [
            f"CREATE TRIGGER {name} BEFORE {event} ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        ]
        drop = [f"DROP TRIGGER IF EXISTS {name}"]
    elif connection.vendor == "postgresql":
        create = [
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'refused by the test'; END; $$ LANGUAGE plpgsql",
            f"CREATE TRIGGER {name} BEFORE {event} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {name}()",
        ]
        drop = [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP FUNCTION IF EXISTS {name}()"]
    else:  # pragma: no cover
        pytest.skip(f"no trigger for {connection.vendor}")
    with connection.cursor() as cursor:
        for sql in create:
            cursor.execute(sql)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for sql in drop:
                cursor.execute(sql)


def test_turning_off_on_the_page_is_all_or_nothing(
    network_a: Network, coordinator_a: User, volunteer_a: User
) -> None:
    """If turning the account off fails, the membership is not left off with the
    account on (the page used to end the membership in one transaction and turn the
    account off in another)."""
    theirs, coordinator = client_for(volunteer_a), client_for(coordinator_a)
    events = AuditEvent.objects.count()
    target = membership(volunteer_a, network_a)
    url = reverse("logins:deactivate", kwargs={"membership_id": target.pk})
    with refused("accounts_user", "UPDATE"), pytest.raises(DatabaseError):
        coordinator.post(url)
    assert membership(volunteer_a, network_a).is_active
    assert fresh(volunteer_a).is_active
    assert sessions_of(volunteer_a) == 1
    assert theirs.get(reverse("dashboard")).status_code == 200
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("suspend", [False, True], ids=["deactivate", "suspend"])
def test_a_failure_at_the_last_step_undoes_everything(
    network_a: Network,
    coordinator_a: User,
    volunteer_a: User,
    suspend: bool,
) -> None:
    """The audit event is written last: when it fails, the membership, the account and
    the revoked sessions all come back — everything happened in one transaction."""
    client_for(volunteer_a)
    target = membership(volunteer_a, network_a)
    with refused("accounts_auditevent", "INSERT"), pytest.raises(DatabaseError):
        if suspend:
            account_suspend(membership=target, by=coordinator_a, reason="unusual-reading")
        else:
            membership_deactivate(membership=target, by=coordinator_a)
    assert membership(volunteer_a, network_a).is_active
    user = fresh(volunteer_a)
    assert user.is_active and user.deactivation_reason == ""
    assert sessions_of(volunteer_a) == 1


# --- 5. suspending a network's last manager -----------------------------------------------


def test_suspending_the_last_manager_is_refused_and_changes_nothing(
    network_a: Network, coordinator_a: User
) -> None:
    """Only reachable outside the page (the operator's shell, or a race): on the page the
    one suspending is an active manager of the network too."""
    client = client_for(coordinator_a)
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        account_suspend(membership=membership(coordinator_a, network_a), by=None, reason="x")
    assert refused.value.code == "last_manager"
    assert "last active account that can manage the network" in refused.value.messages[0]
    assert membership(coordinator_a, network_a).is_active and fresh(coordinator_a).is_active
    assert sessions_of(coordinator_a) == 1
    assert client.get(reverse("dashboard")).status_code == 200
    assert AuditEvent.objects.count() == events


def test_two_coordinators_suspending_each_other_leave_one(
    network_a: Network, coordinator_a: User
) -> None:
    second = make_user(network_a, "eva@a.example", ["coordinator"])
    account_suspend(membership=membership(second, network_a), by=coordinator_a)
    # the second one's request, already on its way, comes after: refused
    with pytest.raises(ValidationError):
        account_suspend(membership=membership(coordinator_a, network_a), by=second)
    assert membership(coordinator_a, network_a).is_active and fresh(coordinator_a).is_active
    assert not fresh(second).is_active


def test_a_coordinator_can_be_suspended_from_the_page_by_another(
    network_a: Network, coordinator_a: User
) -> None:
    suspect = make_user(network_a, "eva@a.example", ["coordinator"])
    theirs = client_for(suspect)
    url = reverse("audit:suspend", kwargs={"membership_id": membership(suspect, network_a).pk})
    page = client_for(coordinator_a).post(url, follow=True).content.decode()
    assert "Account suspended and logged out everywhere" in page
    assert not membership(suspect, network_a).is_active
    assert fresh(suspect).deactivation_reason == Off.SUSPENDED
    assert theirs.get(reverse("dashboard")).status_code == 302
