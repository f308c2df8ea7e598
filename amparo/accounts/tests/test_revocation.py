"""Taking a role away or turning an account off takes effect on the very next request:
every open session of that person ends, and nobody else's does."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from amparo.accounts.models import AuditEvent, Membership, Network, User
from amparo.accounts.services import (
    membership_activate,
    membership_deactivate,
    membership_set_roles,
    user_deactivate,
)
from amparo.conftest import client_for, make_user, sessions_of

pytestmark = pytest.mark.django_db


def goes_to_login(response: object) -> bool:
    return getattr(response, "status_code", 0) == 302 and response["Location"].startswith(  # type: ignore[index]
        reverse("login")
    )


@pytest.fixture
def dispatcher_a(network_a: Network) -> User:
    return make_user(network_a, "dina@a.example", ["dispatcher"], name="Dina Duarte")


def membership(user: User, network: Network) -> Membership:
    return Membership.objects.get(user=user, network=network)


def test_role_removed_ends_sessions_and_the_page_is_refused(
    network_a: Network, coordinator_a: User, dispatcher_a: User, volunteer_a: User
) -> None:
    console = reverse("reports:console")
    phone, laptop = client_for(dispatcher_a), client_for(dispatcher_a)
    others = [client_for(coordinator_a), client_for(volunteer_a)]
    assert phone.get(console).status_code == 200
    assert sessions_of(dispatcher_a) == 2

    revoked = membership_set_roles(
        membership=membership(dispatcher_a, network_a), roles=["committee"], by=coordinator_a
    )

    assert revoked == 2 and sessions_of(dispatcher_a) == 0
    # the next request of either browser is a logged-out one
    assert goes_to_login(phone.get(console))
    assert goes_to_login(laptop.get(reverse("dashboard")))
    assert "_auth_user_id" not in phone.session
    # logging in again, the page that needed the lost role is refused
    again = client_for(User.objects.get(pk=dispatcher_a.pk))
    assert again.get(console).status_code == 403
    # nobody else was logged out
    assert sessions_of(coordinator_a) == 1 and sessions_of(volunteer_a) == 1
    assert others[0].get(reverse("dashboard")).status_code == 200
    assert others[1].get(reverse("dashboard")).status_code == 200
    event = AuditEvent.objects.filter(target_type="accounts.membership").first()
    assert event is not None and event.actor_id == coordinator_a.pk
    assert event.fields == ["roles"] and "sessions=2" in event.note and "dina" not in event.note


def test_a_role_added_keeps_the_session(
    network_a: Network, coordinator_a: User, dispatcher_a: User
) -> None:
    client = client_for(dispatcher_a)
    revoked = membership_set_roles(
        membership=membership(dispatcher_a, network_a),
        roles=["dispatcher", "hotline"],
        by=coordinator_a,
    )
    assert revoked == 0
    assert client.get(reverse("hotline:on_now")).status_code == 200  # the new role, at once


def test_a_deactivated_user_is_sent_to_login(
    network_a: Network, coordinator_a: User, volunteer_a: User
) -> None:
    client, other = client_for(volunteer_a), client_for(coordinator_a)
    assert client.get(reverse("dashboard")).status_code == 200
    assert user_deactivate(user=volunteer_a, by=coordinator_a) == 1
    assert goes_to_login(client.get(reverse("dashboard")))
    assert not User.objects.get(pk=volunteer_a.pk).is_active
    assert other.get(reverse("dashboard")).status_code == 200
    # and the password no longer opens anything
    fresh = Client()
    fresh.post(reverse("login"), {"username": "bob@a.example", "password": "x"})
    response = fresh.post(
        reverse("login"),
        {"username": "bob@a.example", "password": "correct horse battery staple"},
    )
    assert response.status_code == 200 and "_auth_user_id" not in fresh.session


def test_an_inactive_users_surviving_session_is_not_accepted(
    network_a: Network, volunteer_a: User
) -> None:
    """Even a session that escaped revocation (say, in a cache) opens nothing: the
    authentication backend refuses an inactive user when it loads the session."""
    client = client_for(volunteer_a)
    User.objects.filter(pk=volunteer_a.pk).update(is_active=False)  # no revocation here
    assert sessions_of(volunteer_a) == 1
    assert goes_to_login(client.get(reverse("dashboard")))


def test_membership_deactivated_ends_sessions_and_reactivation_restores_access(
    network_a: Network, coordinator_a: User, dispatcher_a: User
) -> None:
    client = client_for(dispatcher_a)
    revoked = membership_deactivate(
        membership=membership(dispatcher_a, network_a), by=coordinator_a
    )
    assert revoked == 1
    assert goes_to_login(client.get(reverse("reports:console")))
    # it was their only network: the account itself is off, even a fresh log-in opens nothing
    off = User.objects.get(pk=dispatcher_a.pk)
    assert not off.is_active and off.deactivation_reason == User.Deactivation.LAST_NETWORK
    assert goes_to_login(client_for(off).get(reverse("reports:console")))
    assert membership_activate(membership=membership(dispatcher_a, network_a), by=coordinator_a)
    again = client_for(User.objects.get(pk=dispatcher_a.pk))
    assert again.get(reverse("reports:console")).status_code == 200


def test_the_last_network_manager_cannot_be_removed(
    network_a: Network, coordinator_a: User, volunteer_a: User
) -> None:
    mine = membership(coordinator_a, network_a)
    with pytest.raises(ValidationError) as refused:
        membership_set_roles(membership=mine, roles=["dispatcher"], by=coordinator_a)
    assert "last active account that can manage the network" in refused.value.messages[0]
    assert mine.role_slugs() == ["coordinator"]
    with pytest.raises(ValidationError):
        membership_deactivate(membership=mine, by=coordinator_a)
    with pytest.raises(ValidationError):
        user_deactivate(user=coordinator_a, by=coordinator_a)
    assert User.objects.get(pk=coordinator_a.pk).is_active
    assert Membership.objects.get(pk=mine.pk).is_active
    # with a second coordinator, the first may step down
    second = make_user(network_a, "eva@a.example", ["coordinator"])
    membership_set_roles(membership=mine, roles=["dispatcher"], by=second)
    assert Membership.objects.get(pk=mine.pk).role_slugs() == ["dispatcher"]


def test_an_inactive_second_manager_does_not_count(network_a: Network, coordinator_a: User) -> None:
    second = make_user(network_a, "eva@a.example", ["coordinator"])
    User.objects.filter(pk=second.pk).update(is_active=False)
    with pytest.raises(ValidationError):
        membership_set_roles(
            membership=membership(coordinator_a, network_a), roles=[], by=coordinator_a
        )


def test_unknown_roles_change_nothing(
    network_a: Network, coordinator_a: User, dispatcher_a: User
) -> None:
    client = client_for(dispatcher_a)
    with pytest.raises(ValueError, match="unknown roles"):
        membership_set_roles(
            membership=membership(dispatcher_a, network_a),
            roles=["superuser"],
            by=coordinator_a,
        )
    assert membership(dispatcher_a, network_a).role_slugs() == ["dispatcher"]
    assert client.get(reverse("reports:console")).status_code == 200
