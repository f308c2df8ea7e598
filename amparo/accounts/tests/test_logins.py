"""The coordinator's "Logins" page (/accounts/logins/): the network's accounts, their
roles, deactivation and two-step sign-in, all audited; other networks are 404."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from amparo.accounts.models import AuditEvent, Membership, Network, User
from amparo.conftest import client_for, make_user, sessions_of
from amparo.twofactor.models import Passkey, TOTPDevice

pytestmark = pytest.mark.django_db

LIST = "/accounts/logins/"


def membership(user: User, network: Network) -> Membership:
    return Membership.objects.get(user=user, network=network)


def test_the_url_and_the_dashboard_link(coordinator_a: User, volunteer_a: User) -> None:
    assert reverse("logins:list") == LIST
    assert LIST in client_for(coordinator_a).get("/").content.decode()
    assert LIST not in client_for(volunteer_a).get("/").content.decode()


def test_coordinator_sees_accounts_roles_and_two_factor_state(
    network_a: Network, coordinator_a: User, volunteer_a: User, coordinator_b: User
) -> None:
    TOTPDevice.objects.create(user=volunteer_a, secret="JBSWY3DPEHPK3PXP", confirmed=True)
    TOTPDevice.objects.create(user=coordinator_a, secret="JBSWY3DPEHPK3PXP", confirmed=False)
    dispatcher = make_user(network_a, "dina@a.example", ["dispatcher"], name="Dina Duarte")
    Passkey.objects.create(
        user=dispatcher, credential_id=b"id", credential_id_hash="a" * 64, public_key=b"k"
    )
    response = client_for(coordinator_a).get(LIST)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    for name in ("Alicia Álvarez", "Roberto Bravo", "Dina Duarte", "bob@a.example"):
        assert name in page
    assert "Carla Castro" not in page and "charlie@b.example" not in page  # network B
    # two-step sign-in: app (confirmed only), passkey, none
    rows = {
        user.pk: page.split(f'id="login-{membership(user, network_a).pk}"')[1].split("</section>")[
            0
        ]
        for user in (coordinator_a, volunteer_a, dispatcher)
    }
    assert "Authenticator app" in rows[volunteer_a.pk]
    assert "Passkey" in rows[dispatcher.pk]
    assert "Not set up" in rows[coordinator_a.pk]  # an unconfirmed app does not count
    # the roles are checkboxes, the held ones checked
    assert 'value="committee" checked' in rows[volunteer_a.pk]
    assert 'value="coordinator" checked' not in rows[volunteer_a.pk]
    # you cannot turn yourself off from here
    assert "Turn off in this network" in rows[volunteer_a.pk]
    assert "Turn off in this network" not in rows[coordinator_a.pk]
    # reading the list is audited: who, which network, how many rows; no names
    event = AuditEvent.objects.filter(action="read", actor=coordinator_a).latest("id")
    assert event.network_id == network_a.pk and "rows=3" in event.note
    assert "Roberto" not in event.note and "bob@" not in event.note


def test_reset_button_posts_to_the_two_factor_reset_with_next(
    network_a: Network, coordinator_a: User, volunteer_a: User
) -> None:
    TOTPDevice.objects.create(user=volunteer_a, secret="JBSWY3DPEHPK3PXP", confirmed=True)
    TOTPDevice.objects.create(user=coordinator_a, secret="JBSWY3DPEHPK3PXP", confirmed=True)
    client = client_for(coordinator_a)
    page = client.get(LIST).content.decode()
    url = reverse("twofactor:reset", kwargs={"user_id": volunteer_a.pk})
    assert f'action="{url}"' in page
    assert f'name="next" value="{LIST}"' in page
    # one button: not for the coordinator's own account, nor for one without a factor
    assert page.count("Reset two-step sign-in") == 1
    # the button works: its answer shows the password-set link once, and leads back here
    response = client.post(url, {"next": LIST})
    assert response.status_code == 200 and f'href="{LIST}"' in response.content.decode()
    assert not TOTPDevice.objects.filter(user=volunteer_a).exists()
    after = client.get(LIST).content.decode()
    assert "Not set up" in after
    # waiting for its new password, the account keeps its button: a lost or expired
    # link can be made again
    assert after.count("Reset two-step sign-in") == 1 and f'action="{url}"' in after


def test_who_may_open_it(
    network_a: Network, coordinator_a: User, volunteer_a: User, coordinator_b: User
) -> None:
    anonymous = Client().get(LIST)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))
    assert client_for(volunteer_a).get(LIST).status_code == 403
    dispatcher = make_user(network_a, "dina@a.example", ["dispatcher"])
    assert client_for(dispatcher).get(LIST).status_code == 403


def test_another_networks_accounts_are_404(
    network_a: Network, coordinator_a: User, volunteer_a: User, coordinator_b: User
) -> None:
    target = membership(volunteer_a, network_a)
    other = client_for(coordinator_b)
    for name in ("logins:roles", "logins:deactivate", "logins:activate"):
        url = reverse(name, kwargs={"membership_id": target.pk})
        response = other.post(url, {"roles": ["coordinator"]})
        assert response.status_code == 404, name
    target.refresh_from_db()
    assert target.is_active and target.role_slugs() == ["committee"]
    assert client_for(volunteer_a).get("/").status_code == 200


def test_changing_roles_on_the_page_logs_the_person_out_when_they_lose_one(
    network_a: Network, coordinator_a: User, volunteer_a: User
) -> None:
    target = membership(volunteer_a, network_a)
    theirs = client_for(volunteer_a)
    coordinator = client_for(coordinator_a)
    url = reverse("logins:roles", kwargs={"membership_id": target.pk})
    # adding a role: nothing lost, the session stays
    response = coordinator.post(url, {"roles": ["committee", "hotline"]}, follow=True)
    assert "Roles saved." in response.content.decode()
    assert sorted(membership(volunteer_a, network_a).role_slugs()) == ["committee", "hotline"]
    assert sessions_of(volunteer_a) == 1
    assert theirs.get(reverse("hotline:on_now")).status_code == 200
    # taking one away: logged out everywhere at once
    response = coordinator.post(url, {"roles": ["committee"], "page": "1"})
    assert response.status_code == 302 and response["Location"] == LIST + "?page=1"
    assert sessions_of(volunteer_a) == 0
    assert theirs.get(reverse("hotline:on_now"))["Location"].startswith(reverse("login"))
    assert sessions_of(coordinator_a) == 1


def test_an_unknown_role_changes_nothing(
    network_a: Network, coordinator_a: User, volunteer_a: User
) -> None:
    target = membership(volunteer_a, network_a)
    url = reverse("logins:roles", kwargs={"membership_id": target.pk})
    response = client_for(coordinator_a).post(url, {"roles": ["committee", "root"]}, follow=True)
    assert "does not exist. Nothing was changed." in response.content.decode()
    assert membership(volunteer_a, network_a).role_slugs() == ["committee"]


def test_the_last_coordinator_cannot_remove_their_own_role(
    network_a: Network, coordinator_a: User
) -> None:
    target = membership(coordinator_a, network_a)
    client = client_for(coordinator_a)
    url = reverse("logins:roles", kwargs={"membership_id": target.pk})
    response = client.post(url, {"roles": ["dispatcher"]}, follow=True)
    assert response.status_code == 200
    assert "last active account that can manage the network" in response.content.decode()
    assert membership(coordinator_a, network_a).role_slugs() == ["coordinator"]
    assert sessions_of(coordinator_a) == 1


def test_the_last_coordinator_message_in_spanish(network_a: Network, coordinator_a: User) -> None:
    target = membership(coordinator_a, network_a)
    client = client_for(coordinator_a, language="es")
    url = reverse("logins:roles", kwargs={"membership_id": target.pk})
    page = client.post(url, {"roles": []}, follow=True).content.decode()
    assert '<html lang="es">' in page
    assert "Es la última cuenta activa que puede administrar la red" in page


def test_turning_an_account_off_and_on_again(
    network_a: Network, coordinator_a: User, volunteer_a: User
) -> None:
    target = membership(volunteer_a, network_a)
    theirs = client_for(volunteer_a)
    coordinator = client_for(coordinator_a)
    off = reverse("logins:deactivate", kwargs={"membership_id": target.pk})
    response = coordinator.post(off, follow=True)
    assert "logged out everywhere (1 open session)" in response.content.decode()
    assert theirs.get("/")["Location"].startswith(reverse("login"))
    assert not Membership.objects.get(pk=target.pk).is_active
    # their only network: the account itself is off, the password opens nothing
    assert not User.objects.get(pk=volunteer_a.pk).is_active
    fresh = Client()
    fresh.post(
        reverse("login"), {"username": "bob@a.example", "password": "correct horse battery staple"}
    )
    assert "_auth_user_id" not in fresh.session
    assert "Turned off" in coordinator.get(LIST).content.decode()
    # and back on
    on = reverse("logins:activate", kwargs={"membership_id": target.pk})
    assert "can use this network again" in coordinator.post(on, follow=True).content.decode()
    assert User.objects.get(pk=volunteer_a.pk).is_active
    assert Membership.objects.get(pk=target.pk).is_active
    assert client_for(User.objects.get(pk=volunteer_a.pk)).get("/").status_code == 200
    notes = list(
        AuditEvent.objects.filter(target_type="accounts.membership", target_id=str(target.pk))
        .order_by("id")
        .values_list("note", flat=True)
    )
    assert any(n.startswith("deactivated") for n in notes)
    assert any(n.startswith("reactivated") for n in notes)


def test_turning_off_keeps_the_persons_other_network(
    network_a: Network, network_b: Network, coordinator_a: User, coordinator_b: User
) -> None:
    both = make_user(network_a, "dual@a.example", ["committee"])
    Membership.objects.create(user=both, network=network_b)
    theirs = client_for(both)
    coordinator = client_for(coordinator_a)
    # the page says what the button does: one login serves both networks (sessions_revoke)
    assert "logs that person out at once of every network" in coordinator.get(LIST).content.decode()
    coordinator.post(
        reverse("logins:deactivate", kwargs={"membership_id": membership(both, network_a).pk})
    )
    assert User.objects.get(pk=both.pk).is_active  # still in network B
    assert membership(both, network_b).is_active
    assert not membership(both, network_a).is_active
    assert theirs.get("/")["Location"].startswith(reverse("login"))  # B's work too: said so
    assert client_for(User.objects.get(pk=both.pk)).get("/").status_code == 200  # B, again


def test_you_cannot_turn_yourself_off(network_a: Network, coordinator_a: User) -> None:
    second = make_user(network_a, "eva@a.example", ["coordinator"])
    client = client_for(coordinator_a)
    url = reverse(
        "logins:deactivate", kwargs={"membership_id": membership(coordinator_a, network_a).pk}
    )
    response = client.post(url, follow=True)
    assert "You cannot turn off your own account." in response.content.decode()
    assert membership(coordinator_a, network_a).is_active
    assert second.is_active


def test_the_actions_are_post_only(
    network_a: Network, coordinator_a: User, volunteer_a: User
) -> None:
    target = membership(volunteer_a, network_a)
    client = client_for(coordinator_a)
    for name in ("logins:roles", "logins:deactivate", "logins:activate"):
        assert client.get(reverse(name, kwargs={"membership_id": target.pk})).status_code == 405
    assert membership(volunteer_a, network_a).is_active


def test_the_page_in_spanish(network_a: Network, coordinator_a: User, volunteer_a: User) -> None:
    page = client_for(coordinator_a, language="es").get(LIST).content.decode()
    assert '<html lang="es">' in page
    assert "Accesos" in page
    assert "Guardar roles" in page
    assert "Desactivar en esta red" in page
