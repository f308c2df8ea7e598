"""A coordinator's reset of someone who lost their phone: the password goes too, a
one-time password-set link is shown once to the coordinator, and the reset is refused
for accounts the coordinator must not weaken. Through the real views."""

from __future__ import annotations

import html
import logging
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from amparo.accounts.models import AuditEvent, Membership, Role
from amparo.accounts.roles import Cap
from amparo.accounts.services import membership_grant
from amparo.conftest import PASSWORD, client_for, make_user, password_mails
from amparo.twofactor import services
from amparo.twofactor.models import SecondFactorThrottle
from amparo.twofactor.policy import has_second_factor

pytestmark = pytest.mark.django_db

RESET_NOTE = "second factors reset"


def reset_url(user) -> str:
    return reverse("twofactor:reset", kwargs={"user_id": user.pk})


def text(response) -> str:
    return html.unescape(response.content.decode())


def shown_link(response) -> str:
    found = re.search(r'id="set-link"[^>]*value="([^"]+)"', response.content.decode())
    assert found is not None, "no password-set link on the page"
    return found.group(1)


def password_login(email: str, password: str) -> int:
    return Client().post(reverse("login"), {"username": email, "password": password}).status_code


def set_password(link: str, password: str) -> int:
    """Open the link as the person would and choose a password: the final status."""
    client = Client()
    form = client.get(urlsplit(link).path, follow=True)
    if "new_password1" not in form.content.decode():
        return form.status_code
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}
    )
    return done.status_code


def unchanged(user) -> bool:
    user.refresh_from_db()
    return (
        has_second_factor(user)
        and user.check_password(PASSWORD)
        and not AuditEvent.objects.filter(note__startswith=RESET_NOTE).exists()
    )


def test_the_reset_takes_the_password_and_shows_a_one_time_link_once(
    coordinator_a, volunteer_a, caplog
):
    services.totp_enrol_confirmed(user=volunteer_a)
    services.attempt_failed(user=volunteer_a, method="totp")
    coordinator = client_for(coordinator_a)
    with caplog.at_level(logging.DEBUG):
        response = coordinator.post(reset_url(volunteer_a), {"next": "/people/"})
    # the page is the POST's own answer: no redirect to carry the link, never cached
    assert response.status_code == 200 and not response.has_header("Location")
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    link = shown_link(response)
    token = urlsplit(link).path.rstrip("/").rsplit("/", 1)[1]
    assert link.startswith("http") and "/accounts/password/reset/" in link and len(token) > 20
    # the coordinator is told how to hand it over, and not by the account's mail
    assert "face to face" in page and "phone call" in page
    assert "Do not send it to the email address of their account" in page
    assert 'href="/people/"' in page

    volunteer_a.refresh_from_db()
    assert not volunteer_a.has_usable_password() and not has_second_factor(volunteer_a)
    assert not SecondFactorThrottle.objects.filter(user=volunteer_a).exists()
    # audited, without the link: not in the audit log, the coordinator's session or a log line
    event = AuditEvent.objects.get(note__startswith=RESET_NOTE)
    assert event.actor == coordinator_a and event.fields == ["password"]
    assert "password=unusable" in event.note
    assert not any(
        token in f"{note}{fields}"
        for note, fields in AuditEvent.objects.values_list("note", "fields")
    )
    assert token not in str(dict(coordinator.session.items()))
    assert token not in caplog.text

    # the thief who knows the old password cannot log in and set up a factor
    assert password_login("bob@a.example", PASSWORD) == 200
    # the link sets a new password once; then the person logs in and sets up a factor
    assert set_password(link, "una-clave-nueva-88") == 302
    assert password_login("bob@a.example", "una-clave-nueva-88") == 302
    assert set_password(link, "otra-vez-la-clave-99") != 302
    volunteer_a.refresh_from_db()
    assert volunteer_a.check_password("una-clave-nueva-88")


def test_the_forgot_password_mail_is_not_sent_until_the_link_was_used(
    network_a, coordinator_a, volunteer_a
):
    """Whoever has the lost phone may read the account's mail: the usual "forgot
    password" mail must not hand them the account the coordinator just took back."""
    services.totp_enrol_confirmed(user=volunteer_a)
    link = shown_link(client_for(coordinator_a).post(reset_url(volunteer_a)))
    forgot = Client().post(reverse("password_reset"), {"email": "bob@a.example"})
    assert forgot.status_code == 302  # the same answer as for any address
    assert len(password_mails()) == 0  # the worker's task found the account held
    assert set_password(link, "una-clave-nueva-88") == 302
    Client().post(reverse("password_reset"), {"email": "bob@a.example"})
    assert len(password_mails()) == 1 and mail.outbox[0].to == ["bob@a.example"]
    # an account that never had a password (create-network's first coordinator) still can
    fresh = make_user(network_a, "fresh@a.example", ["coordinator"])
    fresh.set_unusable_password()
    fresh.save()
    Client().post(reverse("password_reset"), {"email": "fresh@a.example"})
    assert len(password_mails()) == 2


def test_a_reset_cannot_reach_capabilities_the_coordinator_lacks(network_a, coordinator_a):
    lead_role = Role.objects.create(
        slug="people-lead",
        name={"en": "People lead"},
        capabilities=[Cap.MEMBERS_MANAGE, Cap.MEMBERS_VIEW, Cap.COMMITTEE, Cap.CHECKIN],
    )
    lead = make_user(network_a, "lead@a.example", [lead_role.slug])
    dispatcher = make_user(network_a, "dina@a.example", ["dispatcher"])
    services.totp_enrol_confirmed(user=dispatcher)
    services.totp_enrol_confirmed(user=coordinator_a)
    for target in (dispatcher, coordinator_a):
        response = client_for(lead).post(reset_url(target))
        assert response.status_code == 403, target
        assert "can do things in this network that you cannot" in text(response)
        assert unchanged(target)
    # the roles of a turned-off membership count too: it can be turned on again
    Membership.objects.filter(user=dispatcher).update(is_active=False)
    assert client_for(lead).post(reset_url(dispatcher)).status_code == 403
    assert unchanged(dispatcher)
    # someone whose capabilities the lead has too can be reset
    member = make_user(network_a, "cami@a.example", ["committee"])
    services.totp_enrol_confirmed(user=member)
    assert client_for(lead).post(reset_url(member)).status_code == 200
    assert not has_second_factor(member)


def test_a_member_of_another_network_is_for_the_servers_operator(
    network_a, network_b, coordinator_a, volunteer_a, coordinator_b
):
    services.totp_enrol_confirmed(user=volunteer_a)
    membership_grant(user=volunteer_a, network=network_b, roles=[])
    for coordinator in (coordinator_a, coordinator_b):
        response = client_for(coordinator).post(reset_url(volunteer_a))
        assert response.status_code == 403
        assert "Ask the server's operator" in text(response)
        assert unchanged(volunteer_a)
    # the service refuses too, whoever calls it
    with pytest.raises(services.ResetRefused) as refused:
        services.two_factor_reset(target=volunteer_a, by=coordinator_a, network=network_a)
    assert refused.value.reason == "other_network"
    assert unchanged(volunteer_a)
    # a membership turned off still counts: network B can turn it back on
    Membership.objects.filter(user=volunteer_a, network=network_b).update(is_active=False)
    assert client_for(coordinator_a).post(reset_url(volunteer_a)).status_code == 403
    assert unchanged(volunteer_a)
    with pytest.raises(services.ResetRefused) as refused:
        services.two_factor_reset(target=volunteer_a, by=coordinator_a, network=network_a)
    assert refused.value.reason == "other_network"


def test_outsiders_get_404_and_oneself_is_refused(network_a, coordinator_a, coordinator_b):
    services.totp_enrol_confirmed(user=coordinator_a)
    loner = make_user(None, "loner@x.example", [])
    services.totp_enrol_confirmed(user=loner)
    assert client_for(coordinator_b).post(reset_url(coordinator_a)).status_code == 404
    assert client_for(coordinator_a).post(reset_url(loner)).status_code == 404
    own = client_for(coordinator_a).post(reset_url(coordinator_a), {"next": "/people/"})
    assert own.status_code == 302 and own["Location"] == "/people/"
    assert unchanged(coordinator_a) and has_second_factor(loner)
    with pytest.raises(services.ResetRefused):
        services.two_factor_reset(target=coordinator_a, by=coordinator_a, network=network_a)
    assert unchanged(coordinator_a)


def test_the_operator_resets_an_account_no_coordinator_may(network_a, network_b, coordinator_a):
    """`amparo account-reset`: for a member of two networks (a coordinator is refused)."""
    from io import StringIO

    from django.core.management import call_command

    from amparo.accounts.reading import account_suspend

    both = make_user(network_a, "both@a.example", ["hotline"])
    membership_grant(user=both, network=network_b, roles=["hotline"])
    services.totp_enrol_confirmed(user=both)
    services.recovery_codes_generate(user=both)
    suspended = make_user(network_a, "gone@a.example", ["hotline"])
    account_suspend(membership=suspended.memberships.get(), by=coordinator_a)
    suspended.refresh_from_db()
    assert not suspended.is_active

    out = StringIO()
    call_command("account_reset", "both@a.example", stdout=out)
    both.refresh_from_db()
    assert not has_second_factor(both) and not both.has_usable_password()
    printed = out.getvalue()
    link = printed.strip().splitlines()[-1]
    assert urlsplit(link).path.startswith("/accounts/password/reset/")
    event = AuditEvent.objects.filter(target_id=str(both.pk), note__startswith=RESET_NOTE).get()
    assert event.actor is None and link not in event.note

    call_command("account_reset", "gone@a.example", "--reactivate", stdout=StringIO())
    suspended.refresh_from_db()
    assert suspended.is_active
    with pytest.raises(Exception, match="no account"):
        call_command("account_reset", "nobody@a.example", stdout=StringIO())
