"""The gate and the pages of the second step, through the real login form and views."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone

from amparo.accounts.models import AuditEvent, Membership
from amparo.accounts.services import membership_grant
from amparo.conftest import PASSWORD, client_for, make_user, password_only_client
from amparo.core.middleware_csp import HEADER as CSP_HEADER
from amparo.core.middleware_csp import build_policy
from amparo.twofactor import services
from amparo.twofactor.middleware import safe_next, verify_url
from amparo.twofactor.models import Passkey, RecoveryCode, TOTPDevice
from amparo.twofactor.policy import has_second_factor, requires_two_factor
from amparo.twofactor.session import SESSION_KEY

pytestmark = pytest.mark.django_db

VERIFY = "/accounts/two-factor/verify/"
SETUP = "/accounts/two-factor/setup/"


def log_in(email: str) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def next_code(secret: str) -> str:
    """The code of the step after now: the step a second log-in in the same 30 s may use."""
    totp = pyotp.TOTP(secret)
    return totp.at(timezone.now() + timedelta(seconds=30))


def add_passkey(user, label="my phone"):
    return Passkey.objects.create(
        user=user,
        credential_id=b"cred-" + str(user.pk).encode(),
        credential_id_hash=f"{user.pk:064x}",
        public_key=b"not-used-here",
        label=label,
    )


# --- who is asked -----------------------------------------------------------------------


def test_every_member_of_a_network_needs_two_factors(network_a):
    from amparo.accounts.roles import DEFAULT_ROLES

    for spec in DEFAULT_ROLES:
        user = make_user(network_a, f"{spec['slug']}@policy.example", [spec["slug"]])
        assert requires_two_factor(user), spec["slug"]
    assert requires_two_factor(make_user(network_a, "nobody@policy.example", []))
    assert not requires_two_factor(make_user(None, "loose@policy.example", []))


def test_an_inactive_membership_or_network_does_not_count(network_a, coordinator_a):
    Membership.objects.filter(user=coordinator_a).update(is_active=False)
    assert not requires_two_factor(coordinator_a)
    Membership.objects.filter(user=coordinator_a).update(is_active=True)
    network_a.is_active = False
    network_a.save()
    assert not requires_two_factor(coordinator_a)


def test_a_committee_only_volunteer_is_gated(volunteer_a):
    client = password_only_client(volunteer_a)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(SETUP)
    assert client.post(reverse("switch_network"), {"network": 1}).status_code == 403


def test_a_committee_chair_with_no_role_is_gated_too(network_a):
    """Roles are not the only way in: a chair runs their committee's board (members'
    names) through the committee alone (found by review), so every member is asked."""
    from amparo.people import committees
    from amparo.people.models import Committee, Person
    from amparo.people.services import PersonData, person_upsert

    chair_user = make_user(network_a, "member@a.example", [], name="Sin Roles")
    chair, _ = person_upsert(
        network=network_a, data=PersonData(name="Sin Roles", phones=["+14135550311"])
    )
    Person.objects.filter(pk=chair.pk).update(user=chair_user)
    other, _ = person_upsert(
        network=network_a, data=PersonData(name="Otilia Canario", phones=["+14135550312"])
    )
    solidarity = Committee.objects.get(network=network_a, slug="solidarity")
    committees.committee_member_add(committee=solidarity, person=chair, is_chair=True)
    committees.committee_member_add(committee=solidarity, person=other)
    board = reverse("people:committee", kwargs={"pk": solidarity.pk})

    response = password_only_client(chair_user).get(board)
    assert response.status_code == 302 and response["Location"].startswith(SETUP)
    assert "Otilia" not in response.content.decode()
    page = client_for(chair_user).get(board)  # with the second factor the board opens
    assert page.status_code == 200 and "Otilia" in page.content.decode()


def test_an_account_with_no_network_is_not_gated(db):
    loner = make_user(None, "loner@a.example", [], name="Sin Red")
    client = password_only_client(loner)
    assert client.get(reverse("dashboard")).status_code == 200
    assert client.get(reverse("twofactor:manage")).status_code == 200


def test_someone_who_set_up_a_factor_of_their_own_accord_is_asked_for_it(network_a):
    member = make_user(network_a, "member@a.example", [])
    services.totp_enrol_confirmed(user=member)
    response = password_only_client(member).get(reverse("dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)


# --- the gate -----------------------------------------------------------------------------


def test_password_only_get_goes_to_verify_with_next_and_post_gets_403(network_a, coordinator_a):
    services.totp_enrol_confirmed(user=coordinator_a)
    client = password_only_client(coordinator_a)
    response = client.get("/people/?roles=x")
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == VERIFY
    assert parse_qs(location.query)["next"] == ["/people/?roles=x"]
    before = client.session.get("amparo_network_id")
    response = client.post(reverse("switch_network"), {"network": network_a.pk, "next": "/"})
    assert response.status_code == 403
    assert "Second step needed" in response.content.decode()
    assert client.session.get("amparo_network_id") == before  # the view never ran


def test_the_403_page_is_translated(coordinator_a):
    client = password_only_client(coordinator_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    response = client.post(reverse("switch_network"), {"network": 1})
    assert response.status_code == 403
    assert '<html lang="es">' in response.content.decode()


def test_no_factor_yet_goes_to_setup(coordinator_a):
    response = password_only_client(coordinator_a).get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"] == SETUP + "?next=%2F"


def test_an_open_redirect_in_next_is_refused(coordinator_a):
    device = services.totp_enrol_confirmed(user=coordinator_a)
    client = password_only_client(coordinator_a)
    # a path that reads as another host is not kept as "next" by the gate
    request = RequestFactory().get("/")
    request.user = coordinator_a
    assert safe_next(request, "//evil.example/x") == "/"
    assert safe_next(request, "/people/?q=1") == "/people/?q=1"
    assert verify_url(request, "//evil.example/x") == VERIFY + "?next=%2F"
    for bad in (
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
    ):
        page = client.get(VERIFY, {"next": bad})
        assert page.status_code == 200
        assert "evil.example" not in page.content.decode()
        done = client.post(VERIFY, {"code": pyotp.TOTP(device.secret).now(), "next": bad})
        assert done.status_code == 302
        assert done["Location"] == "/", bad
        client = password_only_client(coordinator_a)
        TOTPDevice.objects.filter(pk=device.pk).update(last_step=0)


def test_logout_and_language_work_before_the_second_factor(coordinator_a):
    client = password_only_client(coordinator_a)
    assert client.post(reverse("set_language"), {"language": "es", "next": "/"}).status_code == 302
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_request_knows_whether_the_session_is_verified(coordinator_a):
    full = client_for(coordinator_a).get(reverse("dashboard"))
    assert getattr(full.wsgi_request, "two_factor_verified", None) is True
    half = password_only_client(coordinator_a).get(reverse("dashboard"))
    assert getattr(half.wsgi_request, "two_factor_verified", None) is False


# --- the login flow ---------------------------------------------------------------------


def test_password_then_code_then_the_page_and_logout_clears_it(network_a, coordinator_a):
    device = services.totp_enrol_confirmed(user=coordinator_a)
    client = log_in("alice@a.example")
    response = client.get("/people/")
    assert response["Location"] == VERIFY + "?next=%2Fpeople%2F"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html
    assert "method=recovery" in html
    assert "no-store" in page["Cache-Control"]
    old_key = client.session.session_key
    done = client.post(VERIFY, {"code": pyotp.TOTP(device.secret).now(), "next": "/people/"})
    assert done.status_code == 302 and done["Location"] == "/people/"
    assert client.session[SESSION_KEY]["method"] == "totp"
    assert client.session.session_key != old_key  # cycled: a planted id is useless
    assert client.get(reverse("dashboard")).status_code == 200
    assert AuditEvent.objects.filter(
        actor=coordinator_a, action="login", note="second factor passed: totp"
    ).exists()
    verified = client.session.session_key
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=verified).exists()
    assert SESSION_KEY not in client.session and "_auth_user_id" not in client.session
    # logging in again needs the second factor again
    client = log_in("alice@a.example")
    assert client.get(reverse("dashboard")).status_code == 302


def test_a_wrong_code_shows_a_clear_error_and_is_counted(coordinator_a):
    services.totp_enrol_confirmed(user=coordinator_a)
    client = log_in("alice@a.example")
    page = client.post(VERIFY, {"code": "000000", "next": "/"})
    assert page.status_code == 400
    assert "not right" in page.content.decode()
    assert "000000" not in page.content.decode()
    assert SESSION_KEY not in client.session
    assert AuditEvent.objects.filter(actor=coordinator_a, action="login_failed").count() == 1
    empty = client.post(VERIFY, {"code": "", "next": "/"})
    assert "Type the code first" in empty.content.decode()
    assert AuditEvent.objects.filter(actor=coordinator_a, action="login_failed").count() == 1


def test_the_verify_page_says_when_the_lock_lifts(coordinator_a):
    services.totp_enrol_confirmed(user=coordinator_a)
    client = log_in("alice@a.example")
    for _ in range(5):
        client.post(VERIFY, {"code": "000000"})
    page = client.get(VERIFY)
    assert "Too many wrong codes" in page.content.decode()
    assert 'name="code"' not in page.content.decode()


def test_a_recovery_code_on_the_verify_page(coordinator_a):
    services.totp_enrol_confirmed(user=coordinator_a)
    codes = services.recovery_codes_generate(user=coordinator_a)
    client = log_in("alice@a.example")
    page = client.get(VERIFY, {"method": "recovery", "next": "/"})
    assert "Recovery code" in page.content.decode()
    done = client.post(VERIFY, {"code": codes[2].upper(), "method": "recovery", "next": "/"})
    assert done.status_code == 302 and done["Location"] == "/"
    assert client.session[SESSION_KEY]["method"] == "recovery"
    dashboard = client.get("/")
    assert "9 recovery codes are left" in dashboard.content.decode()
    # the same code never works again
    again = log_in("alice@a.example")
    refused = again.post(VERIFY, {"code": codes[2], "method": "recovery", "next": "/"})
    assert refused.status_code == 400 and SESSION_KEY not in again.session


# --- setup --------------------------------------------------------------------------------


def test_forced_setup_shows_a_qr_code_then_recovery_codes_once(network_a, coordinator_a):
    client = log_in("alice@a.example")
    page = client.get(SETUP, {"next": "/people/"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    assert '<svg class="qr"' in html and "<img" not in html.split("<main", 1)[1]
    assert "data:" not in html
    assert page[CSP_HEADER] == build_policy("")
    assert "people's names" in html  # it says why, in plain words
    device = TOTPDevice.objects.get(user=coordinator_a)
    grouped = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', html)
    assert grouped is not None
    assert grouped.group(1).replace(" ", "") == device.secret
    assert all(len(group) == 4 for group in grouped.group(1).split())
    # reloading shows the same device, not a new one
    client.get(SETUP)
    assert TOTPDevice.objects.filter(user=coordinator_a).count() == 1

    refused = client.post(SETUP, {"code": "000000", "next": "/people/"})
    assert refused.status_code == 400 and not TOTPDevice.objects.get().confirmed
    done = client.post(SETUP, {"code": pyotp.TOTP(device.secret).now(), "next": "/people/"})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([0-9a-z-]+)</code></li>", done.content.decode())
    assert len(codes) == 10
    assert "no-store" in done["Cache-Control"]
    assert 'href="/people/"' in done.content.decode()
    assert client.session[SESSION_KEY]["method"] == "totp"
    assert client.get("/people/").status_code == 200
    # shown once: the page about them shows only how many are left
    later = client.get(reverse("twofactor:recovery_codes"))
    assert "10 unused recovery codes" in later.content.decode()
    assert codes[0] not in later.content.decode()
    assert RecoveryCode.objects.filter(user=coordinator_a).count() == 10
    assert AuditEvent.objects.filter(note="second factor enrolled: totp").count() == 1


def test_the_app_shows_the_network_not_the_email(network_a, coordinator_a):
    from amparo.twofactor.views import provisioning_uri

    uri = provisioning_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", network_a)
    assert uri.startswith("otpauth://totp/Amparo:Network%20A?")
    assert "issuer=Amparo" in uri and "alice" not in uri


def test_a_password_alone_cannot_add_a_factor_next_to_an_existing_one(coordinator_a):
    services.totp_enrol_confirmed(user=coordinator_a)
    client = log_in("alice@a.example")
    response = client.get(SETUP)
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    posted = client.post(SETUP, {"code": "123456"})
    assert posted.status_code == 302
    assert TOTPDevice.objects.filter(user=coordinator_a).count() == 1


def test_a_passkey_setup_lands_on_the_first_recovery_codes(coordinator_a):
    """The passkey set-up sends the person to the recovery-codes page: the first visit
    makes the first set."""
    add_passkey(coordinator_a)
    client = client_for(coordinator_a)
    page = client.get(reverse("twofactor:recovery_codes"))
    assert len(re.findall(r"<li><code>", page.content.decode())) == 10
    second = client.get(reverse("twofactor:recovery_codes"))
    assert "10 unused recovery codes" in second.content.decode()


# --- manage, remove, regenerate -----------------------------------------------------------


def test_manage_lists_apps_and_passkeys(coordinator_a):
    services.totp_enrol_confirmed(user=coordinator_a)
    add_passkey(coordinator_a, label="Teléfono de trabajo")
    services.recovery_codes_generate(user=coordinator_a)
    page = client_for(coordinator_a).get(reverse("twofactor:manage"))
    html = page.content.decode()
    assert "Authenticator app" in html and "Teléfono de trabajo" in html
    assert html.count("/accounts/two-factor/remove/") == 2
    assert "10 unused recovery codes" in html
    # the header links here
    assert 'href="/accounts/two-factor/"' in html


def test_removing_a_factor_needs_a_recent_second_factor(coordinator_a):
    app = services.totp_enrol_confirmed(user=coordinator_a)
    passkey = add_passkey(coordinator_a)
    url = reverse("twofactor:remove", kwargs={"kind": "passkey", "pk": passkey.pk})
    with time_machine.travel(timezone.now()) as traveller:
        client = client_for(coordinator_a)
        traveller.shift(timedelta(minutes=11))
        response = client.post(url)
        assert response.status_code == 302 and response["Location"].startswith(VERIFY)
        assert Passkey.objects.filter(pk=passkey.pk).exists()
        client.post(VERIFY, {"code": pyotp.TOTP(app.secret).now()})
        response = client.post(url)
    assert response["Location"] == reverse("twofactor:manage")
    assert not Passkey.objects.filter(pk=passkey.pk).exists()
    assert AuditEvent.objects.filter(note="second factor removed: passkey").count() == 1


def test_the_last_factor_of_an_account_that_needs_two_cannot_be_removed(coordinator_a):
    app = services.totp_enrol_confirmed(user=coordinator_a)
    client = client_for(coordinator_a)
    url = reverse("twofactor:remove", kwargs={"kind": "totp", "pk": app.pk})
    response = client.post(url, follow=True)
    assert "only second factor" in response.content.decode()
    assert TOTPDevice.objects.filter(pk=app.pk).exists()
    with pytest.raises(services.LastFactorError):
        services.factor_remove(user=coordinator_a, kind="totp", pk=app.pk)


def test_someone_elses_factor_cannot_be_removed(coordinator_a, coordinator_b):
    theirs = services.totp_enrol_confirmed(user=coordinator_b)
    services.totp_enrol_confirmed(user=coordinator_a)
    client = client_for(coordinator_a)
    for kind in ("totp", "passkey", "other"):
        url = reverse("twofactor:remove", kwargs={"kind": kind, "pk": theirs.pk})
        assert client.post(url).status_code == 404
    assert (
        client.get(reverse("twofactor:remove", kwargs={"kind": "totp", "pk": 1})).status_code == 405
    )
    assert TOTPDevice.objects.filter(pk=theirs.pk).exists()


def test_an_account_without_a_network_may_remove_its_only_factor(db):
    member = make_user(None, "member@a.example", [])
    app = services.totp_enrol_confirmed(user=member)
    services.recovery_codes_generate(user=member)
    client = client_for(member)
    client.post(reverse("twofactor:remove", kwargs={"kind": "totp", "pk": app.pk}))
    assert not has_second_factor(member)
    assert not RecoveryCode.objects.filter(user=member).exists()


def test_new_recovery_codes_need_a_recent_second_factor(coordinator_a):
    app = services.totp_enrol_confirmed(user=coordinator_a)
    old = services.recovery_codes_generate(user=coordinator_a)
    url = reverse("twofactor:recovery_codes")
    with time_machine.travel(timezone.now()) as traveller:
        client = client_for(coordinator_a)
        traveller.shift(timedelta(minutes=11))
        response = client.post(url)
        assert response.status_code == 302 and response["Location"].startswith(VERIFY)
        assert services.recovery_code_use(user=coordinator_a, code=old[0])
        client.post(VERIFY, {"code": pyotp.TOTP(app.secret).now()})
        page = client.post(url)
    new = re.findall(r"<li><code>([0-9a-z-]+)</code></li>", page.content.decode())
    assert len(new) == 10
    assert not services.recovery_code_use(user=coordinator_a, code=old[1])
    assert services.recovery_code_use(user=coordinator_a, code=new[1])


# --- a coordinator's reset --------------------------------------------------------------


def test_a_coordinator_resets_a_member_who_lost_their_phone(network_a, coordinator_a, volunteer_a):
    services.totp_enrol_confirmed(user=volunteer_a)
    add_passkey(volunteer_a)
    services.recovery_codes_generate(user=volunteer_a)
    their_session = client_for(volunteer_a)
    assert their_session.get(reverse("dashboard")).status_code == 200
    url = reverse("twofactor:reset", kwargs={"user_id": volunteer_a.pk})
    coordinator = client_for(coordinator_a)
    assert coordinator.get(url).status_code == 405
    response = coordinator.post(url, {"next": "/people/"})
    # the answer is the page itself (the password-set link is shown once), back to /people/
    assert response.status_code == 200 and 'href="/people/"' in response.content.decode()
    assert not has_second_factor(volunteer_a)
    assert not RecoveryCode.objects.filter(user=volunteer_a).exists()
    # their open session is gone at once
    gone = their_session.get(reverse("dashboard"))
    assert gone.status_code == 302 and gone["Location"].startswith(reverse("login"))
    event = AuditEvent.objects.get(note__startswith="second factors reset")
    assert event.actor == coordinator_a and event.target_id == str(volunteer_a.pk)
    assert "apps=1 passkeys=1 recovery_codes=10 sessions=1" in event.note
    # the old password no longer works; the link the coordinator hands over sets a new one
    refused = Client().post(reverse("login"), {"username": "bob@a.example", "password": PASSWORD})
    assert refused.status_code == 200
    found = re.search(r'id="set-link"[^>]*value="([^"]+)"', response.content.decode())
    assert found is not None
    form = Client().get(urlsplit(found.group(1)).path, follow=True)
    new = {"new_password1": "otra-clave-larga-77", "new_password2": "otra-clave-larga-77"}
    assert form.client.post(form.redirect_chain[-1][0], new).status_code == 302
    # next log-in: set up a new factor
    client = Client()
    login = {"username": "bob@a.example", "password": new["new_password1"]}
    assert client.post(reverse("login"), login).status_code == 302
    assert client.get("/")["Location"].startswith(SETUP)


def test_reset_is_refused_across_networks_and_without_the_capability(
    network_a, coordinator_a, volunteer_a, coordinator_b
):
    services.totp_enrol_confirmed(user=volunteer_a)
    url = reverse("twofactor:reset", kwargs={"user_id": volunteer_a.pk})
    assert client_for(coordinator_b).post(url).status_code == 404
    assert (
        client_for(volunteer_a)
        .post(reverse("twofactor:reset", kwargs={"user_id": coordinator_a.pk}))
        .status_code
        == 403
    )
    assert has_second_factor(volunteer_a)
    # a member of both networks cannot be reset by either network's coordinator (factors
    # are global: the server's operator does it); nothing changes
    membership_grant(user=volunteer_a, network=coordinator_b.memberships.get().network, roles=[])
    refused = client_for(coordinator_b).post(url)
    assert refused.status_code == 403 and "operator" in refused.content.decode()
    assert client_for(coordinator_a).post(url).status_code == 403
    assert has_second_factor(volunteer_a) and volunteer_a.has_usable_password()


def test_reset_needs_a_recent_second_factor_and_a_safe_next(network_a, coordinator_a, volunteer_a):
    services.totp_enrol_confirmed(user=volunteer_a)
    url = reverse("twofactor:reset", kwargs={"user_id": volunteer_a.pk})
    with time_machine.travel(timezone.now()) as traveller:
        client = client_for(coordinator_a)
        traveller.shift(timedelta(minutes=11))
        response = client.post(url, {"next": "/people/"})
        assert response["Location"].startswith(VERIFY)
        assert has_second_factor(volunteer_a)
    done = client_for(coordinator_a).post(url, {"next": "https://evil.example/"})
    assert done.status_code == 200 and 'href="/"' in done.content.decode()
    assert "evil.example" not in done.content.decode()
    assert not has_second_factor(volunteer_a)


# --- the demo's helper command ----------------------------------------------------------


def test_two_factor_code_prints_the_code_only_in_the_demo(coordinator_a):
    device = services.totp_enrol_confirmed(user=coordinator_a)
    with override_settings(DEMO=False), pytest.raises(CommandError, match="demo"):
        call_command("two_factor_code", "alice@a.example")
    out = StringIO()
    with override_settings(DEMO=True), time_machine.travel(timezone.now(), tick=False):
        call_command("two_factor_code", "Alice@A.example", stdout=out)
        assert out.getvalue().strip() == pyotp.TOTP(device.secret).now()
    with override_settings(DEMO=True), pytest.raises(CommandError, match="no authenticator"):
        call_command("two_factor_code", "nobody@a.example")


def test_the_cli_refuses_two_factor_code_outside_the_demo(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("AMPARO_")}
    env.update(
        AMPARO_DATA_DIR=str(tmp_path),
        AMPARO_SECRET_KEY="s" * 50,
        AMPARO_MASTER_KEY=os.environ["AMPARO_MASTER_KEY"],
        AMPARO_INDEX_KEY=os.environ["AMPARO_INDEX_KEY"],
    )
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "amparo", "two-factor-code", "alice@a.example"],
        cwd=settings.REPO_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "only in the demo" in result.stderr
