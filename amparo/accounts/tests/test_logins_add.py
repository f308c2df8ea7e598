"""Add a login (the Logins page and ``amparo add_login``): the page creates new accounts
only (an account the server has is refused, neutrally); the operator's command also
attaches an existing account, with a link that sets nothing; audited; coordinators only."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from amparo.accounts.models import AuditEvent, Membership, Network, User
from amparo.conftest import client_for

pytestmark = pytest.mark.django_db

ADD = "/accounts/logins/add/"


def _link(page: str) -> str:
    return page.split('id="set-link" class="set-link" value="')[1].split('"')[0]


def _path(link: str) -> str:
    return link.split("://", 1)[-1].split("/", 1)[-1].join(["/", ""])


def test_the_logins_page_links_to_it(coordinator_a: User) -> None:
    assert ADD in client_for(coordinator_a).get("/accounts/logins/").content.decode()


def test_a_new_login_gets_an_account_roles_and_a_working_link(
    network_a: Network, coordinator_a: User
) -> None:
    client = client_for(coordinator_a)
    assert client.get(ADD).status_code == 200
    data = {"email": "Nueva@Example.org", "roles": ["dispatcher", "committee"], "language": "es"}
    response = client.post(ADD, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Login added" in page and "<svg" in page
    user = User.objects.find_by_email("nueva@example.org")
    assert user is not None and user.language == "es" and not user.has_usable_password()
    membership = Membership.objects.get(user=user, network=network_a)
    assert set(membership.role_slugs()) == {"dispatcher", "committee"}
    assert AuditEvent.objects.filter(
        network=network_a, actor=coordinator_a, note__startswith="login added"
    ).exists()
    # the link opens the set-password form (Django moves the token to the session)
    opened = client_for(coordinator_a).get(_path(_link(page)), follow=True)
    assert b'name="new_password1"' in opened.content


NOT_HERE = "cannot be added from here"


def test_an_existing_account_is_not_attached_from_the_page(
    network_a: Network, network_b: Network, coordinator_a: User, coordinator_b: User
) -> None:
    coordinator_b.set_password("carla-secret-9")
    coordinator_b.save()
    loner = User.objects.create_user(email="loner@x.example")
    Membership.objects.filter(user=coordinator_b).update(is_active=False)
    User.objects.filter(pk=coordinator_b.pk).update(is_active=False)
    before = Membership.objects.count()
    for email in ("charlie@b.example", "Loner@X.example"):
        response = client_for(coordinator_a).post(
            ADD, {"email": email, "roles": ["coordinator"], "language": "en"}
        )
        page = response.content.decode()
        assert response.status_code == 400 and NOT_HERE in page and "add-login" in page
        assert "Network B" not in page and "Carla" not in page and "set-link" not in page
    assert Membership.objects.count() == before
    assert not AuditEvent.objects.filter(note__startswith="login added").exists()
    assert not Membership.objects.filter(user__in=[coordinator_b, loner], network=network_a)
    coordinator_b.refresh_from_db()
    assert not coordinator_b.is_active and coordinator_b.check_password("carla-secret-9")
    es = client_for(coordinator_a, language="es").post(
        ADD, {"email": "loner@x.example", "roles": ["committee"], "language": "es"}
    )
    assert "no se puede añadir desde aquí" in es.content.decode()


def test_a_concurrent_add_of_the_same_new_email_gets_the_same_message(
    network_a: Network, coordinator_a: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.exceptions import ValidationError

    from amparo.accounts import services

    # the other request created the account after this one looked the email up
    User.objects.create_user(email="race@example.org")
    monkeypatch.setattr(type(User.objects), "find_by_email", lambda self, email: None)
    with pytest.raises(ValidationError) as refused:
        services.login_add(
            network=network_a,
            email="race@example.org",
            roles=["committee"],
            language="en",
            by=coordinator_a,
        )
    assert refused.value.code == "existing"


def test_the_command_attaches_an_existing_account_with_a_link_that_sets_nothing(
    network_a: Network, coordinator_b: User
) -> None:
    coordinator_b.set_password("carla-secret-9")
    coordinator_b.save()
    out = io.StringIO()
    call_command("add_login", "net-a", "charlie@b.example", roles="committee", stdout=out)
    assert Membership.objects.get(user=coordinator_b, network=network_a).role_slugs() == [
        "committee"
    ]
    opened = client_for(coordinator_b).get(_path(out.getvalue().split()[-1]), follow=True)
    assert b'name="new_password1"' not in opened.content
    coordinator_b.refresh_from_db()
    assert coordinator_b.check_password("carla-secret-9")


def test_refusals(network_a: Network, coordinator_a: User, volunteer_a: User) -> None:
    client = client_for(coordinator_a)
    before = Membership.objects.count()
    already = client.post(ADD, {"email": "bob@a.example", "roles": ["committee"], "language": "en"})
    assert already.status_code == 400 and b"already has a login in this network" in already.content
    no_role = client.post(ADD, {"email": "x@example.org", "language": "en"})
    assert no_role.status_code == 400 and b"Choose at least one role" in no_role.content
    bad_role = client.post(ADD, {"email": "x@example.org", "roles": ["root"], "language": "en"})
    assert bad_role.status_code == 400
    assert Membership.objects.count() == before
    assert User.objects.find_by_email("x@example.org") is None
    # only who may manage the network
    assert client_for(volunteer_a).get(ADD).status_code == 403
    data = {"email": "y@example.org", "roles": ["coordinator"], "language": "en"}
    assert client_for(volunteer_a).post(ADD, data).status_code == 403
    assert User.objects.find_by_email("y@example.org") is None


def test_a_coordinator_of_b_adds_to_b_only(
    network_a: Network, network_b: Network, coordinator_b: User
) -> None:
    data = {"email": "z@example.org", "roles": ["committee"], "language": "en"}
    assert client_for(coordinator_b).post(ADD, data).status_code == 200
    user = User.objects.find_by_email("z@example.org")
    assert list(Membership.objects.filter(user=user).values_list("network", flat=True)) == [
        network_b.pk
    ]


def test_the_page_in_spanish(coordinator_a: User) -> None:
    page = client_for(coordinator_a, language="es").get(ADD).content.decode()
    assert "Añadir un acceso" in page
    response = client_for(coordinator_a, language="es").post(
        ADD, {"email": "n@example.org", "roles": ["committee"], "language": "es"}
    )
    assert "Acceso añadido" in response.content.decode()


def test_the_command(network_a: Network) -> None:
    out = io.StringIO()
    call_command("add_login", "net-a", "cli@example.org", roles="dispatcher", stdout=out)
    assert "/accounts/password/reset/" in out.getvalue()
    assert "expires in\n3 days" in out.getvalue()
    out = io.StringIO()
    with override_settings(PASSWORD_RESET_TIMEOUT=86400):
        call_command("add_login", "net-a", "cli2@example.org", roles="dispatcher", stdout=out)
    assert "expires in\n1 day." in out.getvalue()
    user = User.objects.find_by_email("cli@example.org")
    assert Membership.objects.get(user=user, network=network_a).role_slugs() == ["dispatcher"]
    with pytest.raises(CommandError, match="unknown roles"):
        call_command("add_login", "net-a", "c2@example.org", roles="root", stdout=out)
    with pytest.raises(CommandError, match="no network"):
        call_command("add_login", "nope", "c2@example.org", roles="dispatcher", stdout=out)
    with pytest.raises(CommandError, match="already has a login"):
        call_command("add_login", "net-a", "cli@example.org", roles="committee", stdout=out)


def test_each_role_shows_its_description_and_what_it_can_see_or_approve(
    coordinator_a: User,
) -> None:
    page = client_for(coordinator_a).get(ADD).content.decode()
    verifier = page.split('value="verifier"')[1].split("</label>")[0]
    assert "Confirms reports before anyone is alerted." in verifier
    assert "approves exports" not in verifier and "names and numbers" not in verifier
    coordinator = page.split('value="coordinator"')[1].split("</label>")[0]
    assert "approves exports of people" in coordinator
    assert "sees people&#x27;s names and numbers" in coordinator
    dispatcher = page.split('value="dispatcher"')[1].split("</label>")[0]
    assert "names and numbers" in dispatcher and "approves exports" not in dispatcher
    es = client_for(coordinator_a, language="es").get(ADD).content.decode()
    assert "Confirma los reportes antes de alertar a nadie." in es
