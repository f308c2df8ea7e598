"""Passkeys as a second factor, driven through the real endpoints by a software
authenticator: an EC P-256 key, attestation "none" encoded with CBOR, authenticator
data built byte by byte, assertions signed with ECDSA-SHA256 — what a phone does,
without the phone. py_webauthn checks it exactly as it would a real one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from datetime import timedelta
from pathlib import Path
from runpy import run_path
from typing import Any

import cbor2
import pytest
import time_machine
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import amparo
from amparo.accounts.models import AuditEvent, User
from amparo.conftest import PASSWORD
from amparo.twofactor.models import Passkey, SecondFactorThrottle
from amparo.twofactor.passkeys import user_handle
from amparo.twofactor.session import SESSION_KEY

RP_ID = "localhost"
ORIGIN = "http://localhost:8000"

FLAG_UP = 0x01
FLAG_UV = 0x04
FLAG_AT = 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    """One passkey on a pretend device."""

    def __init__(self, *, rp_id: str = RP_ID, origin: str = ORIGIN) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.rp_id = rp_id
        self.origin = origin
        self.sign_count = 0
        self.user_handle: bytes | None = None

    def cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def authenticator_data(self, flags: int, *, attested: bool = False) -> bytes:
        data = hashlib.sha256(self.rp_id.encode()).digest()
        data += bytes([flags]) + struct.pack(">I", self.sign_count)
        if attested:
            aaguid = bytes(16)
            data += aaguid + struct.pack(">H", len(self.credential_id)) + self.credential_id
            data += self.cose_public_key()
        return data

    def client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "challenge": challenge,
                "origin": origin or self.origin,
                "crossOrigin": False,
            }
        ).encode()

    def create(self, options: dict[str, Any], *, origin: str | None = None) -> dict[str, Any]:
        """navigator.credentials.create(): an attestation of format "none"."""
        assert options["rp"]["id"] == self.rp_id
        self.user_handle = unb64url(options["user"]["id"])
        client_data = self.client_data("webauthn.create", options["challenge"], origin)
        attestation = cbor2.dumps(
            {
                "fmt": "none",
                "attStmt": {},
                "authData": self.authenticator_data(FLAG_UP | FLAG_UV | FLAG_AT, attested=True),
            }
        )
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        }

    def get(
        self, options: dict[str, Any], *, origin: str | None = None, count_up: bool = True
    ) -> dict[str, Any]:
        """navigator.credentials.get(): authenticatorData + sha256(clientDataJSON),
        signed with the credential's private key."""
        if count_up:
            self.sign_count += 1
        client_data = self.client_data("webauthn.get", options["challenge"], origin)
        auth_data = self.authenticator_data(FLAG_UP | FLAG_UV)
        signature = self.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        response = {
            "clientDataJSON": b64url(client_data),
            "authenticatorData": b64url(auth_data),
            "signature": b64url(signature),
        }
        if self.user_handle is not None:
            response["userHandle"] = b64url(self.user_handle)
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": response,
            "clientExtensionResults": {},
        }


@pytest.fixture(autouse=True)
def _relying_party(settings: Any) -> None:
    settings.WEBAUTHN_RP_ID = RP_ID
    settings.WEBAUTHN_ORIGIN = ORIGIN


def post_json(client: Client, name: str, body: dict[str, Any]) -> Any:
    return client.post(reverse(name), data=json.dumps(body), content_type="application/json")


def password_login(user: User) -> Client:
    client = Client()
    response = client.post(
        reverse("login"), {"username": user.email, "password": PASSWORD}, follow=False
    )
    assert response.status_code == 302, "the password step failed"
    return client


def register(
    client: Client, authenticator: SoftAuthenticator, *, label: str = "my phone", **kwargs: Any
) -> Any:
    options = post_json(client, "twofactor:passkey_register_options", {})
    assert options.status_code == 200, options.content
    credential = authenticator.create(options.json()["options"], **kwargs)
    return post_json(
        client, "twofactor:passkey_register", {"credential": credential, "label": label}
    )


def authenticate(
    client: Client,
    authenticator: SoftAuthenticator,
    *,
    next_url: str = "/",
    **kwargs: Any,
) -> tuple[Any, dict[str, Any]]:
    options = post_json(client, "twofactor:passkey_authenticate_options", {})
    assert options.status_code == 200, options.content
    credential = authenticator.get(options.json()["options"], **kwargs)
    response = post_json(
        client, "twofactor:passkey_authenticate", {"credential": credential, "next": next_url}
    )
    return response, credential


def enrolled(user: User) -> SoftAuthenticator:
    """``user`` with a passkey registered through the endpoints (forced set-up)."""
    authenticator = SoftAuthenticator()
    client = password_login(user)
    response = register(client, authenticator)
    assert response.status_code == 200, response.content
    return authenticator


# --- the whole path -----------------------------------------------------------------


@pytest.mark.django_db
def test_register_logout_password_passkey_reaches_dashboard(coordinator_a):
    client = password_login(coordinator_a)
    # A password alone does not open the dashboard of a coordinator.
    assert client.get(reverse("dashboard")).status_code == 302
    authenticator = SoftAuthenticator()

    response = register(client, authenticator, label="Teléfono de trabajo")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is True
    assert body["redirect"] == reverse("twofactor:recovery_codes")
    assert client.session[SESSION_KEY]["method"] == "passkey"
    passkey = Passkey.objects.get(user=coordinator_a)
    assert bytes(passkey.credential_id) == authenticator.credential_id
    assert passkey.credential_id_hash == hashlib.sha256(authenticator.credential_id).hexdigest()
    assert passkey.transports == ["internal"]
    assert passkey.label == "Teléfono de trabajo"
    # the label is sealed in the database
    with connection.cursor() as cursor:
        cursor.execute("SELECT label FROM twofactor_passkey WHERE id = %s", [passkey.pk])
        stored = cursor.fetchone()[0]
    assert "Teléfono" not in str(stored)
    created = AuditEvent.objects.get(action="create", target_type="twofactor.passkey")
    assert "label" in created.fields and created.note == ""

    client.post(reverse("logout"))
    client = password_login(coordinator_a)
    assert client.get(reverse("dashboard")).status_code == 302  # the gate asks again

    response, _credential = authenticate(client, authenticator, next_url="/")

    assert response.status_code == 200, response.content
    assert response.json() == {"ok": True, "redirect": "/"}
    assert client.get(reverse("dashboard")).status_code == 200
    passkey.refresh_from_db()
    assert passkey.sign_count == 1
    assert passkey.last_used_at is not None


@pytest.mark.django_db
def test_registration_options_reveal_no_person(coordinator_a):
    client = password_login(coordinator_a)
    response = post_json(client, "twofactor:passkey_register_options", {})
    options = response.json()["options"]
    assert options["rp"] == {"id": RP_ID, "name": "Amparo"}
    assert options["user"]["name"] == "Network A · Amparo"
    assert options["user"]["displayName"] == "Network A · Amparo"
    handle = unb64url(options["user"]["id"])
    assert handle == user_handle(coordinator_a)
    assert handle not in (str(coordinator_a.pk).encode(), coordinator_a.email.encode())
    text = response.content.decode()
    assert "alice" not in text and "Alicia" not in text
    assert options["attestation"] == "none"
    assert options["authenticatorSelection"]["residentKey"] == "preferred"
    assert options["authenticatorSelection"]["userVerification"] == "preferred"


@pytest.mark.django_db
def test_a_second_registration_excludes_the_first_passkey(coordinator_a):
    client = password_login(coordinator_a)
    first = SoftAuthenticator()
    assert register(client, first).status_code == 200
    options = post_json(client, "twofactor:passkey_register_options", {}).json()["options"]
    assert [item["id"] for item in options["excludeCredentials"]] == [b64url(first.credential_id)]


# --- refusals -----------------------------------------------------------------------


@pytest.mark.django_db
def test_registration_from_another_origin_is_refused(coordinator_a):
    client = password_login(coordinator_a)
    response = register(client, SoftAuthenticator(), origin="http://evil.example")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert not Passkey.objects.filter(user=coordinator_a).exists()
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
def test_registration_for_another_relying_party_is_refused(coordinator_a):
    client = password_login(coordinator_a)
    options = post_json(client, "twofactor:passkey_register_options", {}).json()["options"]
    impostor = SoftAuthenticator(rp_id="evil.example")
    options["rp"]["id"] = "evil.example"
    response = post_json(
        client, "twofactor:passkey_register", {"credential": impostor.create(options)}
    )
    assert response.status_code == 400
    assert not Passkey.objects.exists()


@pytest.mark.django_db
def test_authentication_from_another_origin_is_refused(coordinator_a):
    authenticator = enrolled(coordinator_a)
    client = password_login(coordinator_a)
    response, _ = authenticate(client, authenticator, origin="http://evil.example")
    assert response.status_code == 400
    assert response.json()["ok"] is False
    assert SESSION_KEY not in client.session
    assert client.get(reverse("dashboard")).status_code == 302


@pytest.mark.django_db
def test_a_replayed_assertion_is_refused(coordinator_a):
    authenticator = enrolled(coordinator_a)
    client = password_login(coordinator_a)
    response, credential = authenticate(client, authenticator)
    assert response.status_code == 200

    # Someone who captured the answer sends it again, on a fresh password-only session:
    thief = password_login(coordinator_a)
    replayed = post_json(thief, "twofactor:passkey_authenticate", {"credential": credential})
    assert replayed.status_code == 400
    assert replayed.json()["error"] == "challenge"
    # … and even after asking for a challenge of its own (the answer signs the old one):
    post_json(thief, "twofactor:passkey_authenticate_options", {})
    replayed = post_json(thief, "twofactor:passkey_authenticate", {"credential": credential})
    assert replayed.status_code == 400
    assert SESSION_KEY not in thief.session
    assert thief.get(reverse("dashboard")).status_code == 302


@pytest.mark.django_db
def test_the_same_assertion_twice_in_one_session_is_refused(coordinator_a):
    authenticator = enrolled(coordinator_a)
    client = password_login(coordinator_a)
    options = post_json(client, "twofactor:passkey_authenticate_options", {}).json()["options"]
    credential = authenticator.get(options)
    body = {"credential": credential}
    assert post_json(client, "twofactor:passkey_authenticate", body).status_code == 200
    again = post_json(client, "twofactor:passkey_authenticate", body)
    assert again.status_code == 400
    assert again.json()["error"] == "challenge"


@pytest.mark.django_db
def test_a_sign_count_going_back_is_refused_and_audited_as_a_clone(coordinator_a):
    authenticator = enrolled(coordinator_a)
    client = password_login(coordinator_a)
    authenticator.sign_count = 9
    response, _ = authenticate(client, authenticator)  # counts to 10
    assert response.status_code == 200
    assert Passkey.objects.get().sign_count == 10

    clone = password_login(coordinator_a)
    authenticator.sign_count = 6  # a copy of the key that has signed less
    response, _ = authenticate(clone, authenticator)  # signs with 7

    assert response.status_code == 400
    assert response.json()["error"] == "sign_count"
    assert SESSION_KEY not in clone.session
    assert Passkey.objects.get().sign_count == 10
    event = AuditEvent.objects.get(note="passkey:possible_clone")
    assert event.target_type == "twofactor.passkey" and event.fields == ["sign_count"]

    same = password_login(coordinator_a)
    authenticator.sign_count = 9  # equal to the stored count: refused as well
    response, _ = authenticate(same, authenticator)
    assert response.status_code == 400


@pytest.mark.django_db
def test_an_authenticator_without_a_counter_is_accepted(coordinator_a):
    authenticator = enrolled(coordinator_a)
    for _ in range(2):
        client = password_login(coordinator_a)
        response, _credential = authenticate(client, authenticator, count_up=False)
        assert response.status_code == 200, response.content
    assert Passkey.objects.get().sign_count == 0


@pytest.mark.django_db
def test_someone_elses_credential_is_refused(coordinator_a, coordinator_b):
    carla_device = enrolled(coordinator_b)
    enrolled(coordinator_a)
    client = password_login(coordinator_a)
    carla_device.user_handle = None  # an authenticator may leave the handle out
    response, _ = authenticate(client, carla_device)
    assert response.status_code == 400
    assert response.json()["error"] == "unknown"
    assert SESSION_KEY not in client.session
    assert client.get(reverse("dashboard")).status_code == 302


@pytest.mark.django_db
def test_a_challenge_older_than_five_minutes_is_refused(coordinator_a):
    authenticator = enrolled(coordinator_a)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = password_login(coordinator_a)
        options = post_json(client, "twofactor:passkey_authenticate_options", {}).json()
        credential = authenticator.get(options["options"])
        traveller.shift(timedelta(minutes=5, seconds=1))
        response = post_json(client, "twofactor:passkey_authenticate", {"credential": credential})
        assert response.status_code == 400
        assert response.json()["error"] == "challenge"
        assert SESSION_KEY not in client.session

        # within five minutes the same steps pass
        options = post_json(client, "twofactor:passkey_authenticate_options", {}).json()
        credential = authenticator.get(options["options"])
        traveller.shift(timedelta(minutes=4, seconds=59))
        response = post_json(client, "twofactor:passkey_authenticate", {"credential": credential})
        assert response.status_code == 200, response.content


@pytest.mark.django_db
def test_failures_lock_the_second_step_and_a_success_resets_the_count(coordinator_a):
    authenticator = enrolled(coordinator_a)
    client = password_login(coordinator_a)
    for _ in range(4):
        response, _ = authenticate(client, authenticator, origin="http://evil.example")
        assert response.status_code == 400
    assert SecondFactorThrottle.objects.get(user=coordinator_a).failures == 4
    response, _ = authenticate(client, authenticator)
    assert response.status_code == 200
    assert SecondFactorThrottle.objects.get(user=coordinator_a).failures == 0

    client = password_login(coordinator_a)
    for _attempt in range(5):
        response, _ = authenticate(client, authenticator, origin="http://evil.example")
    assert response.status_code == 429
    assert response.json()["error"] == "locked"
    # locked: the right passkey is refused too, before any ceremony starts
    refused = post_json(client, "twofactor:passkey_authenticate_options", {})
    assert refused.status_code == 429
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
def test_an_attacker_with_only_the_password_cannot_add_a_passkey(coordinator_a):
    enrolled(coordinator_a)
    thief = password_login(coordinator_a)
    for name in ("twofactor:passkey_register_options", "twofactor:passkey_register"):
        response = post_json(thief, name, {"credential": {}})
        assert response.status_code == 403
        body = response.json()
        assert body["error"] == "step_up"
        assert body["redirect"].startswith(reverse("twofactor:verify") + "?next=")
    assert Passkey.objects.filter(user=coordinator_a).count() == 1


@pytest.mark.django_db
def test_adding_another_passkey_needs_a_recent_second_factor(coordinator_a):
    first = enrolled(coordinator_a)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = password_login(coordinator_a)
        assert authenticate(client, first)[0].status_code == 200
        traveller.shift(timedelta(minutes=6))
        refused = post_json(client, "twofactor:passkey_register_options", {"next": "/"})
        assert refused.status_code == 403
        assert refused.json()["redirect"] == reverse("twofactor:verify") + "?next=/"
        assert authenticate(client, first)[0].status_code == 200
        response = register(client, SoftAuthenticator(), label="laptop")
        assert response.status_code == 200, response.content
        assert response.json()["redirect"] == ""  # the page reloads and lists it
    assert Passkey.objects.filter(user=coordinator_a).count() == 2


@pytest.mark.django_db
def test_a_label_over_60_characters_is_refused_with_a_clear_error(coordinator_a):
    client = password_login(coordinator_a)
    response = register(client, SoftAuthenticator(), label="x" * 61)
    assert response.status_code == 400
    assert response.json()["error"] == "label"
    assert "60" in response.json()["message"]
    assert not Passkey.objects.exists()
    assert register(client, SoftAuthenticator(), label="y" * 60).status_code == 200


@pytest.mark.django_db
def test_a_body_over_16_kb_is_refused_with_a_clear_error(coordinator_a):
    client = password_login(coordinator_a)
    response = post_json(
        client, "twofactor:passkey_register_options", {"padding": "x" * (16 * 1024)}
    )
    assert response.status_code == 413
    assert "16 KB" in response.json()["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"credential": "x"}'])
def test_malformed_answers_are_refused_and_counted(coordinator_a, body):
    enrolled(coordinator_a)
    client = password_login(coordinator_a)
    post_json(client, "twofactor:passkey_authenticate_options", {})
    response = client.post(
        reverse("twofactor:passkey_authenticate"), data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["message"]
    assert SecondFactorThrottle.objects.get(user=coordinator_a).failures == 1


@pytest.mark.django_db
def test_hostile_credentials_are_refused_not_crashed(coordinator_a):
    client = password_login(coordinator_a)
    authenticator = SoftAuthenticator()
    options = post_json(client, "twofactor:passkey_register_options", {}).json()["options"]
    credential = authenticator.create(options)
    credential["response"]["attestationObject"] = b64url(b"\xff" * 40)
    response = post_json(client, "twofactor:passkey_register", {"credential": credential})
    assert response.status_code == 400
    assert not Passkey.objects.exists()


@pytest.mark.django_db
def test_the_endpoints_are_post_only_and_csrf_protected(coordinator_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator_a)
    for name in (
        "twofactor:passkey_register_options",
        "twofactor:passkey_register",
        "twofactor:passkey_authenticate_options",
        "twofactor:passkey_authenticate",
    ):
        assert client.get(reverse(name)).status_code == 405, name
        assert (
            client.post(reverse(name), data="{}", content_type="application/json").status_code
            == 403
        ), name


@pytest.mark.django_db
def test_next_must_stay_on_this_site(coordinator_a):
    authenticator = enrolled(coordinator_a)
    client = password_login(coordinator_a)
    response, _ = authenticate(client, authenticator, next_url="https://evil.example/")
    assert response.status_code == 200
    assert response.json()["redirect"] == reverse("dashboard")


@pytest.mark.django_db
def test_an_ip_address_as_relying_party_gives_a_clear_error(coordinator_a, settings):
    settings.WEBAUTHN_RP_ID = "127.0.0.1"
    settings.WEBAUTHN_ORIGIN = "http://127.0.0.1:8000"
    client = password_login(coordinator_a)
    response = post_json(client, "twofactor:passkey_register_options", {})
    assert response.status_code == 503
    assert "host name" in response.json()["message"]
    assert not Passkey.objects.exists()


@pytest.mark.django_db
def test_on_an_ip_address_the_pages_offer_no_passkey_button(coordinator_a, settings):
    from amparo.conftest import client_for

    client = client_for(coordinator_a)
    assert "data-passkey-start" in client.get(reverse("twofactor:setup")).content.decode()
    settings.WEBAUTHN_RP_ID = "192.0.2.10"
    settings.WEBAUTHN_ORIGIN = "https://192.0.2.10"
    page = client.get(reverse("twofactor:setup")).content.decode()
    assert "data-passkey-start" not in page and 'id="passkeys-off"' in page
    assert "only an IP address" in page


@pytest.mark.django_db
def test_a_credential_already_registered_cannot_be_registered_again(coordinator_a, coordinator_b):
    device = enrolled(coordinator_a)
    client = password_login(coordinator_b)
    response = register(client, device)
    assert response.status_code == 400
    assert response.json()["error"] == "duplicate"
    assert list(Passkey.objects.values_list("user_id", flat=True)) == [coordinator_a.pk]


@pytest.mark.parametrize(
    "public_url,rp_id,origin",
    [
        ("https://amparo.example.org/", "amparo.example.org", "https://amparo.example.org"),
        (
            "https://amparo.example.org:8443",
            "amparo.example.org",
            "https://amparo.example.org:8443",
        ),
        ("http://127.0.0.1:8000", "localhost", "http://localhost:8000"),  # the demo
        ("http://192.168.1.5:8000", "192.168.1.5", "http://192.168.1.5:8000"),  # turned off
    ],
)
def test_the_relying_party_comes_from_the_public_url(monkeypatch, public_url, rp_id, origin):
    monkeypatch.setenv("AMPARO_PUBLIC_URL", public_url)
    monkeypatch.delenv("AMPARO_WEBAUTHN_RP_ID", raising=False)
    monkeypatch.delenv("AMPARO_WEBAUTHN_ORIGIN", raising=False)
    values = run_path(str(Path(amparo.__file__).with_name("settings.py")))
    assert (values["WEBAUTHN_RP_ID"], values["WEBAUTHN_ORIGIN"]) == (rp_id, origin)


@pytest.mark.django_db
def test_passkey_attempts_are_taken_before_the_check_and_share_the_window(coordinator_a):
    from amparo.twofactor import services

    authenticator = enrolled(coordinator_a)
    passkey = Passkey.objects.get(user=coordinator_a)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client = password_login(coordinator_a)
        # a full window of attempts still being checked: the right passkey is refused
        # before its answer is looked at, and its counter does not move
        for _ in range(services.MAX_FAILURES):
            assert services.attempt_reserve(user=coordinator_a) is None
        response, _ = authenticate(client, authenticator)
        assert response.status_code == 429 and response.json()["error"] == "locked"
        assert Passkey.objects.get(pk=passkey.pk).sign_count == passkey.sign_count
        assert SESSION_KEY not in client.session
        services.attempt_succeeded(user=coordinator_a, method="test")

        # codes and passkeys share one window: three wrong codes, two wrong passkeys
        for _ in range(3):
            services.second_factor_verify(user=coordinator_a, code="000000")
        assert (
            authenticate(client, authenticator, origin="http://evil.example")[0].status_code == 400
        )
        locked, _ = authenticate(client, authenticator, origin="http://evil.example")
        assert locked.status_code == 429
        until = services.locked_until(coordinator_a)
        assert until == start + timedelta(minutes=15)
        failures = AuditEvent.objects.filter(actor=coordinator_a, action="login_failed").count()
        # a garbled answer during the lock is refused without counting or lengthening it
        garbled = client.post(
            reverse("twofactor:passkey_authenticate"), data=b"{", content_type="application/json"
        )
        assert garbled.status_code == 429
        assert AuditEvent.objects.filter(actor=coordinator_a, action="login_failed").count() == (
            failures
        )
        assert services.locked_until(coordinator_a) == until

        # after the lock, five more wrong passkeys lock it for twice as long
        traveller.move_to(until + timedelta(seconds=1))
        for _ in range(services.MAX_FAILURES):
            response, _ = authenticate(client, authenticator, origin="http://evil.example")
        assert response.status_code == 429
        assert services.locked_until(coordinator_a) == until + timedelta(minutes=30, seconds=1)
        assert SecondFactorThrottle.objects.get(user=coordinator_a).locks == 2
