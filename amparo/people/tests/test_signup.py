"""Public volunteer sign-up: the form, double opt-in by SMS and email, merging, and the
self-hosted anti-abuse (rate limits, proof of work, no client address stored)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amparo.channels.models import Delivery
from amparo.channels.outbox import outbox_drain
from amparo.channels.sandbox.models import SandboxThread
from amparo.channels.sandbox.services import sandbox_reply
from amparo.conftest import make_network, transactions_counted
from amparo.lib.addresses import client_address
from amparo.lib.crypto.blind import phone_index
from amparo.people import antiabuse
from amparo.people.models import (
    Person,
    PersonPhone,
    RateBucket,
    SignupConfirmation,
    SpentChallenge,
    TrainingSession,
    TrainingSignup,
    TrainingType,
)
from amparo.people.services import place_get_or_create
from amparo.people.signup import (
    CONSENT_VERSION,
    GSM_BASIC,
    GSM_EXTENSION,
    INBOUND_HANDLER,
    gsm_text,
    is_yes,
    sms_confirmation_text,
    sms_thanks_text,
)

PHONE = "+14135550161"
PHONE_TYPED = "(413) 555-0161"


@pytest.fixture
def town(network_a):
    return place_get_or_create(
        network=network_a, name="Holyoke", latitude=42.2043, longitude=-72.6162
    )


@pytest.fixture
def orientation(network_a):
    return TrainingSession.objects.create(
        network=network_a,
        training_type=TrainingType.objects.get(network=network_a, slug="orientation"),
        starts_at=timezone.now() + timedelta(days=5),
        language="es",
        place="Salón parroquial",
        capacity=20,
    )


def _url(network, name="signup", **kwargs):
    return reverse(name, kwargs={"network_slug": network.slug, **kwargs})


def _challenge(client, network):
    page = client.get(_url(network))
    assert page.status_code == 200
    found = re.search(r'name="pow_challenge" value="([^"]+)"', page.content.decode())
    assert found
    return found.group(1)


def _post(client, network, *, solve=True, challenge=None, nonce=None, **fields):
    challenge = challenge or _challenge(client, network)
    if nonce is None:
        nonce = (
            antiabuse.pow_solve(challenge=challenge, bits=antiabuse.challenge_bits(challenge))
            if solve
            else ""
        )
    data = {
        "name": "María Pérez",
        "phone": PHONE_TYPED,
        "email": "",
        "confirm_by": "sms",
        "language": "es",
        "consent": "on",
        "pow_challenge": challenge,
        "pow_nonce": nonce,
        **fields,
    }
    return client.post(_url(network), {k: v for k, v in data.items() if v is not None})


def _spanish_client(**extra):
    client = Client(**extra)
    client.cookies["amparo_language"] = "es"
    return client


def _send_queued():
    for sender in set(Delivery.objects.filter(status="queued").values_list("sender", flat=True)):
        outbox_drain(sender=sender)


# --- the form and the SMS loop -------------------------------------------------------


@pytest.mark.django_db
def test_signup_in_spanish_creates_a_person_and_a_spanish_text(network_a, town, orientation):
    client = _spanish_client()
    page = client.get(_url(network_a)).content.decode()
    assert '<html lang="es">' in page
    assert "data-pow-bits" in page and static("amparo/pow.js") in page
    assert "Salón parroquial" in page and "Holyoke" in page
    assert 'value="member"' not in page and 'value="attorney"' not in page
    assert 'value="rapid-responder"' in page

    response = _post(
        client,
        network_a,
        other_languages=["en", "mam"],
        place=str(town.pk),
        roles=["rapid-responder", "driver"],
        session=str(orientation.pk),
    )
    assert response.status_code == 302
    assert response["Location"] == _url(network_a, "signup_done") + "?by=sms"

    person = Person.objects.get()
    assert person.name == "María Pérez" and person.language == "es"
    assert person.speaks() == ["es", "en", "mam"]
    assert person.status == Person.Status.SIGNED_UP and person.source == Person.Source.SIGNUP
    assert person.consent_method == "web-signup" and person.consent_version == CONSENT_VERSION
    assert person.consent_at is not None
    assert sorted(person.roles.values_list("slug", flat=True)) == ["driver", "rapid-responder"]
    assert list(person.areas.values_list("place_id", flat=True)) == [town.pk]
    assert TrainingSignup.objects.get().session == orientation
    assert PersonPhone.objects.get().number == PHONE

    text = Delivery.objects.get()
    assert text.channel == "sandbox" and text.to_address == PHONE
    assert text.language == "es" and text.purpose == "signup-confirm"
    assert text.body == sms_confirmation_text(network=network_a, language="es")
    assert re.search(r"\bSI\b", text.body) and "YES" not in text.body
    confirmation = SignupConfirmation.objects.get()
    assert confirmation.channel == "sms" and confirmation.token_hash == phone_index(PHONE)

    _send_queued()
    thread = SandboxThread.objects.get()
    assert thread.number == PHONE
    assert thread.messages.get().body == text.body

    done = client.get(response["Location"]).content.decode()
    assert '<html lang="es">' in done and "SÍ" in done


@pytest.mark.django_db
def test_replying_si_on_the_sandbox_phone_confirms_and_thanks(network_a):
    assert _post(_spanish_client(), network_a).status_code == 302
    _send_queued()
    thread = SandboxThread.objects.get()

    received = sandbox_reply(thread=thread, body="  Sí. ")
    assert received.handled_by == INBOUND_HANDLER
    person = Person.objects.get()
    assert person.status == Person.Status.CONFIRMED
    assert SignupConfirmation.objects.get().confirmed_at is not None
    thanks = Delivery.objects.get(purpose="reply")
    assert thanks.language == "es" and thanks.to_address == PHONE
    assert thanks.body == sms_thanks_text(network=network_a, language="es")

    # A second "sí" is not ours any more: nothing is confirmed twice.
    assert sandbox_reply(thread=thread, body="si").handled_by != INBOUND_HANDLER
    assert Delivery.objects.filter(purpose="reply").count() == 1


@pytest.mark.django_db
def test_anything_but_yes_leaves_the_sign_up_pending(network_a):
    _post(Client(), network_a, language="en")
    _send_queued()
    thread = SandboxThread.objects.get()
    assert "YES" in thread.messages.get().body
    for body in ("no", "si no puedo", "what is this?", "yess"):
        assert sandbox_reply(thread=thread, body=body).handled_by != INBOUND_HANDLER
    assert Person.objects.get().status == Person.Status.SIGNED_UP
    sandbox_reply(thread=thread, body="YES!")
    assert Person.objects.get().status == Person.Status.CONFIRMED
    assert Delivery.objects.get(purpose="reply").language == "en"


@pytest.mark.parametrize(
    ("text", "yes"),
    [
        ("SI", True),
        ("Sí", True),
        ("SÍ", True),
        (" si ", True),
        ("s", True),
        ("YES", True),
        ("yes.", True),
        ("Y", True),
        ("¡Sí!", True),
        ("no", False),
        ("sin", False),
        ("yes please no", False),
        ("", False),
    ],
)
def test_yes_words(text, yes):
    assert is_yes(text) is yes


@pytest.mark.django_db
def test_texts_fit_gsm7(network_a):
    gsm = set(GSM_BASIC + GSM_EXTENSION)
    for language in ("en", "es"):
        for text in (
            sms_confirmation_text(network=network_a, language=language),
            sms_thanks_text(network=network_a, language=language),
        ):
            assert set(text) <= gsm, text
            assert len(text) <= 160
    assert gsm_text("Inscripción confirmada: ¡gracias, Begoña! “número”") == (
        'Inscripcion confirmada: ¡gracias, Begoña! "numero"'
    )


@pytest.mark.django_db
def test_a_reply_in_another_network_confirms_nothing(network_a, network_b):
    _post(Client(), network_a)
    thread_b = SandboxThread.objects.create(network=network_b, number=PHONE)
    assert sandbox_reply(thread=thread_b, body="si").handled_by != INBOUND_HANDLER
    assert Person.objects.get().status == Person.Status.SIGNED_UP


# --- email -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_email_only_sign_up_is_confirmed_by_the_link(network_a, django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(
            client, network_a, phone="", email="Ana@Example.org", language="en", name="Ana"
        )
    assert response.status_code == 302 and response["Location"].endswith("?by=email")
    assert not Delivery.objects.exists()
    message = mail.outbox[0]
    assert message.to == ["ana@example.org"]
    assert "Network A" in message.subject
    link = re.search(r"http://\S+/join/net-a/confirm/(\S+)/", str(message.body))
    assert link
    token = link.group(1)
    stored = SignupConfirmation.objects.get()
    assert stored.channel == "email" and token not in stored.token_hash
    assert stored.expires_at > timezone.now() + timedelta(days=2)

    url = _url(network_a, "signup_confirm", token=token)
    page = client.get(url)  # a mail scanner opening the link confirms nothing
    assert page.status_code == 200 and b'type="submit"' in page.content
    assert Person.objects.get().status == Person.Status.SIGNED_UP
    confirmed = client.post(url)
    assert confirmed.status_code == 200
    assert Person.objects.get().status == Person.Status.CONFIRMED
    assert client.post(url).status_code == 200  # again: still fine, nothing changes

    wrong = client.get(_url(network_a, "signup_confirm", token=token[:-2] + "xx"))
    assert wrong.status_code == 404


@pytest.mark.django_db
def test_an_expired_email_link_does_not_confirm(network_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _post(Client(), network_a, phone="", email="late@example.org", language="en")
    found = re.search(r"/confirm/(\S+)/", str(mail.outbox[0].body))
    assert found
    token = found.group(1)
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        response = Client().post(_url(network_a, "signup_confirm", token=token))
    assert response.status_code == 404
    assert Person.objects.get().status == Person.Status.SIGNED_UP


@pytest.mark.django_db
def test_choosing_email_with_a_phone_sends_the_email(network_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(Client(), network_a, email="both@example.org", confirm_by="email")
    assert response["Location"].endswith("?by=email")
    assert len(mail.outbox) == 1 and not Delivery.objects.exists()
    assert mail.outbox[0].to == ["both@example.org"]
    # Confirm by email without an email: asked for one, nothing saved.
    again = _post(Client(), network_a, phone="4135550162", email="", confirm_by="email")
    assert again.status_code == 200 and Person.objects.count() == 1


# --- duplicates -----------------------------------------------------------------------


@pytest.mark.django_db
def test_duplicate_sign_ups_are_merged_and_answered_alike(network_a, town):
    first = _post(Client(), network_a, name="Rosa Díaz")
    second = _post(Client(), network_a, name="Rosa Diaz", place=str(town.pk), roles=["driver"])
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    person = Person.objects.get()
    assert person.name == "Rosa Diaz"  # still pending: the person may correct it
    assert list(person.roles.values_list("slug", flat=True)) == ["driver"]
    # No second text a moment after the first.
    assert Delivery.objects.count() == 1 and SignupConfirmation.objects.count() == 1

    _send_queued()
    sandbox_reply(thread=SandboxThread.objects.get(), body="si")
    before = Delivery.objects.count()
    third = _post(Client(), network_a, name="Someone Else", language="en")
    assert third.status_code == 302 and third["Location"] == first["Location"]
    person.refresh_from_db()
    assert person.status == Person.Status.CONFIRMED
    assert person.name == "Rosa Diaz" and person.language == "es"  # a confirmed person's stay
    assert Delivery.objects.count() == before  # no second confirmation
    assert Person.objects.count() == 1


@pytest.mark.django_db
def test_same_email_is_the_same_person_and_a_stranger_number_is_not_attached(
    network_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _post(Client(), network_a, phone="", email="luz@example.org", language="en")
        second = _post(Client(), network_a, phone="4135550170", email="LUZ@example.org")
    assert second.status_code == 302
    person = Person.objects.get()
    # Someone typing a known email next to another number gets no link to that record.
    assert not person.phones.exists()
    assert not Delivery.objects.exists()
    assert len(mail.outbox) == 1


# --- proof of work ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_replayed_proof_of_work_is_refused(network_a):
    client = Client()
    challenge = _challenge(client, network_a)
    nonce = antiabuse.pow_solve(challenge=challenge, bits=antiabuse.challenge_bits(challenge))
    assert _post(client, network_a, challenge=challenge, nonce=nonce).status_code == 302
    replay = _post(client, network_a, challenge=challenge, nonce=nonce, phone="4135550163")
    assert replay.status_code == 200
    assert "could not check" in replay.content.decode()
    assert Person.objects.count() == 1
    assert SpentChallenge.objects.count() == 1


@pytest.mark.django_db
def test_a_sign_up_that_fails_still_spends_its_challenge(network_a, monkeypatch):
    """An input that makes the save fail cannot be posted again and again with one
    solved challenge: the counts and the spent challenge are saved before it fails."""

    def broken(**_kw):
        raise RuntimeError("the save failed")

    client = Client(raise_request_exception=False)
    challenge = _challenge(client, network_a)
    nonce = antiabuse.pow_solve(challenge=challenge, bits=antiabuse.challenge_bits(challenge))
    monkeypatch.setattr("amparo.people.signup.signup_submit", broken)
    assert _post(client, network_a, challenge=challenge, nonce=nonce).status_code == 500
    assert SpentChallenge.objects.count() == 1
    monkeypatch.undo()
    replay = _post(client, network_a, challenge=challenge, nonce=nonce)
    assert replay.status_code == 200
    assert "could not check" in replay.content.decode()
    assert Person.objects.count() == 0


@pytest.mark.django_db
def test_a_wrong_or_forged_proof_of_work_is_refused(network_a, network_b, settings):
    # A failed proof of work counts as a post without one (the stricter limit).
    settings.SIGNUP_NOJS_RATE_LIMITS = ((50, 600),)
    client = Client()
    challenge = _challenge(client, network_a)
    bits = antiabuse.challenge_bits(challenge)
    assert bits >= 10
    right = int(antiabuse.pow_solve(challenge=challenge, bits=bits))
    wrong = next(
        str(n)
        for n in range(right + 1, right + 10_000)
        if antiabuse.challenge_check(network=network_a, challenge=challenge, nonce=str(n)).reason
        == "wrong"
    )
    for nonce in (wrong, "-1", "12abc", "9" * 40):
        response = _post(client, network_a, challenge=challenge, nonce=nonce)
        assert response.status_code == 200 and "could not check" in response.content.decode()
    # A challenge of another network, or one edited by hand, is no challenge.
    other = _challenge(client, network_b)
    other_nonce = antiabuse.pow_solve(challenge=other, bits=antiabuse.challenge_bits(other))
    assert _post(client, network_a, challenge=other, nonce=other_nonce).status_code == 200
    forged = challenge[:-3] + ("AAA" if not challenge.endswith("AAA") else "BBB")
    assert _post(client, network_a, challenge=forged, nonce=str(right)).status_code == 200
    assert not Person.objects.exists() and not SpentChallenge.objects.exists()
    # The form keeps what was typed, so nothing has to be typed again.
    assert "María Pérez" in response.content.decode()


@pytest.mark.django_db
def test_an_expired_challenge_is_refused_with_a_clear_message(network_a):
    client = Client()
    with time_machine.travel(timezone.now() - timedelta(minutes=45)):
        challenge = _challenge(client, network_a)
    response = _post(client, network_a, challenge=challenge)
    assert response.status_code == 200
    assert "open for a long time" in response.content.decode()
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_the_form_works_without_javascript_for_a_person_who_takes_their_time(network_a):
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        challenge = _challenge(client, network_a)
    with time_machine.travel(start + timedelta(seconds=1), tick=False):
        hasty = _post(client, network_a, challenge=challenge, solve=False)
    assert hasty.status_code == 200
    assert "take a moment" in hasty.content.decode()
    assert not Person.objects.exists()
    with time_machine.travel(start + timedelta(seconds=40), tick=False):
        calm = _post(client, network_a, challenge=challenge, solve=False)
    assert calm.status_code == 302
    assert Person.objects.get().status == Person.Status.SIGNED_UP
    assert Delivery.objects.get().purpose == "signup-confirm"


@pytest.mark.django_db
def test_posts_without_javascript_have_a_stricter_limit(network_a, settings):
    settings.SIGNUP_NOJS_RATE_LIMITS = ((1, 600),)
    client = Client()
    old = timezone.now() - timedelta(minutes=2)
    with time_machine.travel(old):
        challenges = [_challenge(client, network_a) for _ in range(2)]
    assert _post(client, network_a, challenge=challenges[0], solve=False).status_code == 302
    second = _post(client, network_a, challenge=challenges[1], solve=False, phone="4135550164")
    assert second.status_code == 429
    # With the proof of work done, the ordinary limit applies.
    assert _post(client, network_a, phone="4135550165").status_code == 302


# --- rate limits ------------------------------------------------------------------------


@pytest.mark.django_db
def test_too_many_sign_ups_from_one_address_get_429_in_the_users_language(network_a, settings):
    settings.SIGNUP_RATE_LIMITS = ((2, 600),)
    client = _spanish_client()
    assert _post(client, network_a, phone="4135550171").status_code == 302
    assert _post(client, network_a, phone="4135550172").status_code == 302
    blocked = _post(client, network_a, phone="4135550173")
    assert blocked.status_code == 429
    assert blocked["Content-Language"] == "es"
    assert '<html lang="es">' in blocked.content.decode()
    assert 0 < int(blocked["Retry-After"]) <= 600
    assert "(413) 555-0100" in blocked.content.decode()  # the hotline, for help right now
    assert Person.objects.count() == 2
    # Another address is counted apart.
    other = Client(REMOTE_ADDR="198.51.100.20")
    assert _post(other, network_a, phone="4135550174").status_code == 302
    # So is another network, from the same address.
    network_c = make_network("net-c", "Network C")
    assert _post(client, network_c, phone="4135550175").status_code == 302


@pytest.mark.django_db
def test_one_number_cannot_be_signed_up_over_and_over(network_a, settings):
    settings.SIGNUP_CONTACT_RATE_LIMITS = ((2, 3600),)
    assert _post(Client(REMOTE_ADDR="198.51.100.1"), network_a).status_code == 302
    assert _post(Client(REMOTE_ADDR="198.51.100.2"), network_a).status_code == 302
    assert _post(Client(REMOTE_ADDR="198.51.100.3"), network_a).status_code == 429


@pytest.mark.django_db
def test_rate_buckets_hold_no_clear_value_and_are_swept(network_a):
    with time_machine.travel(timezone.now() - timedelta(days=3)):
        antiabuse.rate_hit(scope="t", value="198.51.100.9", limits=((5, 600), (50, 86400)))
        antiabuse.challenge_spend(challenge="old")
    antiabuse.rate_hit(scope="t", value="198.51.100.9", limits=((5, 600),))
    antiabuse.challenge_spend(challenge="new")
    keys = list(RateBucket.objects.values_list("key_hash", flat=True))
    assert len(keys) == 3 and len(set(keys)) == 3  # a new key in every window
    assert all("198.51" not in k for k in keys)
    assert antiabuse.antiabuse_sweep() == 3
    assert RateBucket.objects.count() == 1 and SpentChallenge.objects.count() == 1


def test_ipv6_clients_are_counted_by_their_64(rf):
    one = rf.get("/", REMOTE_ADDR="2001:db8:1:2:aaaa::1")
    two = rf.get("/", REMOTE_ADDR="2001:db8:1:2:bbbb::2")
    assert client_address(request=one) == client_address(request=two)
    assert client_address(request=rf.get("/", REMOTE_ADDR="::ffff:192.0.2.7")) == ("192.0.2.7")


# --- privacy and safety -------------------------------------------------------------------


def _dump(tables=None):
    parts: list[str] = []
    with connection.cursor() as cursor:
        for table in tables or connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            parts.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(parts)


@pytest.mark.django_db
def test_no_address_or_user_agent_is_stored(network_a):
    agent = "Canary-Agent/7.7 (Zyxw)"
    _post(Client(HTTP_USER_AGENT=agent), network_a)  # REMOTE_ADDR 127.0.0.1
    _post(Client(REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT=agent), network_a, phone="4135550166")
    _send_queued()
    for thread in SandboxThread.objects.all():
        sandbox_reply(thread=thread, body="yes")
    assert Person.objects.filter(status="confirmed").count() == 2
    people_tables = [t for t in connection.introspection.table_names() if t.startswith("people_")]
    assert "people_ratebucket" in people_tables
    people = _dump(people_tables)
    assert len(people) > 500
    assert "127.0.0.1" not in people
    everything = _dump()
    for needle in ("203.0.113.77", "203.0.113", agent, "Canary-Agent"):
        assert needle not in everything


@pytest.mark.django_db
def test_a_script_in_the_name_is_shown_as_text(network_a):
    script = "<script>alert('x')</script>"
    response = _post(Client(), network_a, name=script, phone="not a phone")
    page = response.content.decode()
    assert response.status_code == 200
    assert script not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert _post(Client(), network_a, name=script).status_code == 302
    assert Person.objects.get().name == script  # kept as typed; escaped wherever shown


# --- the rest of the form ---------------------------------------------------------------


@pytest.mark.django_db
def test_unknown_or_inactive_network_is_404(network_a):
    client = Client()
    assert client.get("/join/no-such-network/").status_code == 404
    network_a.is_active = False
    network_a.save()
    assert client.get(_url(network_a)).status_code == 404


@pytest.mark.django_db
def test_the_form_asks_again_for_what_is_missing(network_a):
    response = _post(Client(), network_a, name=" ", phone="", consent=None)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Tell us your name." in page
    assert "mobile number or an email" in page
    assert "accept the agreement" in page
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_a_full_session_is_not_offered_and_cannot_be_taken(network_a, orientation):
    orientation.capacity = 1
    orientation.save()
    assert _post(Client(), network_a, session=str(orientation.pk)).status_code == 302
    client = Client()
    challenge = _challenge(client, network_a)
    assert "Salón parroquial" not in client.get(_url(network_a)).content.decode()
    late = _post(
        client, network_a, challenge=challenge, session=str(orientation.pk), phone="4135550167"
    )
    assert late.status_code == 200  # not a choice any more
    assert Person.objects.count() == 1 and TrainingSignup.objects.count() == 1


def test_the_inbound_table_lists_the_handler_once(settings):
    paths = [path for path, _claims in settings.INBOUND_HANDLERS]
    assert paths.count("amparo.people.signup.signup_inbound") == 1


@pytest.mark.django_db
def test_a_stranger_cannot_change_an_established_member_through_the_public_form(network_a):
    from amparo.people.services import PersonData, person_upsert

    member, _ = person_upsert(
        network=network_a,
        data=PersonData(
            name="Miembro Firme", phones=["+14135550161"], roles=["member"], status="active"
        ),
    )
    response = _post(Client(), network_a, name="Impostor", roles=["verifier", "rapid-responder"])
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.name == "Miembro Firme"
    assert sorted(member.roles.values_list("slug", flat=True)) == ["member"]
    assert member.consent_at is None  # nobody consented for them
    assert not Delivery.objects.exists()  # and nothing is sent to them


@pytest.mark.django_db(transaction=True)
def test_a_sign_up_is_few_write_transactions(network_a, town):
    """Never one per step (issue 16). On SQLite one: the limits counted, the challenge
    spent, then the person, their number, areas, consent and the confirmation text,
    as every write there queues for the one write lock (two would queue twice). On
    PostgreSQL two: the per-address rate rows are shared by every post from an address
    (a row stays locked until its commit), so they are counted in their own short
    transaction, as the report form does, and never wait for a sign-up's save."""
    client = Client()
    challenge = _challenge(client, network_a)
    with transactions_counted() as transactions:
        response = _post(client, network_a, challenge=challenge, place=town.pk)
    assert response.status_code == 302
    assert Person.objects.filter(network=network_a).count() == 1
    assert Delivery.objects.filter(purpose="signup-confirm").count() == 1
    wanted = ["COMMIT"] if connection.vendor == "sqlite" else ["COMMIT", "COMMIT"]
    assert transactions == wanted, transactions
