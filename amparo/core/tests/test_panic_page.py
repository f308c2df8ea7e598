"""The coordinator's panic page (/panic/): Cap.NETWORK_MANAGE, a second factor passed in
the last five minutes, the network's short name typed exactly, a single network on the
server; then the same wipe as `amparo panic`: nothing sealed readable, nobody logged in."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from amparo.accounts.models import AuditEvent, User
from amparo.channels.models import Delivery
from amparo.conftest import client_for, make_user
from amparo.hotline.models import Conversation, ConversationMessage
from amparo.people.models import Person
from amparo.tests.factories import PersonFactory
from amparo.twofactor.session import SESSION_KEY

from .test_panic import _encrypted_models, key_file  # noqa: F401 - a fixture

PANIC = "/panic/"


def stepped_up(user: User, *, seconds_ago: int = 0):
    """A logged-in client whose session passed a second factor ``seconds_ago``."""
    client = client_for(user)
    session = client.session
    session[SESSION_KEY] = {"at": int(time.time()) - seconds_ago, "method": "totp"}
    session.save()
    return client


@pytest.fixture
def data(network_a):
    person = PersonFactory.create(
        network=network_a, name="Marisol Quintero", phone="+14135550301", notes="cerca"
    )
    Delivery.objects.create(
        network=network_a, channel="sms", to_address="+14135550301", body="hola"
    )
    conversation = Conversation.objects.create(network=network_a, number="+14135550302")
    ConversationMessage.objects.create(conversation=conversation, direction="in", body="ayuda")
    return person


def readable(person: Person) -> bool:
    return Person.objects.get(pk=person.pk).name == "Marisol Quintero"


def wipes(network) -> int:
    return AuditEvent.objects.filter(action="keys").count()


@pytest.mark.django_db
def test_without_a_recent_second_factor_it_asks_for_one(
    network_a,
    coordinator_a,
    data,
    key_file,  # noqa: F811
):
    assert reverse("panic") == PANIC
    verify = reverse("twofactor:verify") + "?" + urlencode({"next": PANIC})
    # Passed more than five minutes ago: asked again (step-up), and nothing happens.
    client = stepped_up(coordinator_a, seconds_ago=301)
    response = client.get(PANIC)
    assert response.status_code == 302 and response["Location"] == verify
    response = client.post(PANIC, {"confirm": "net-a"})
    assert response.status_code == 302 and response["Location"] == verify
    # Never passed in this session (the password only): refused too.
    client = client_for(coordinator_a)
    session = client.session
    session.pop(SESSION_KEY, None)
    session.save()
    setup = reverse("twofactor:setup") + "?" + urlencode({"next": PANIC})
    assert client.get(PANIC)["Location"] == setup  # (this account has no device yet)
    # the two-factor gate sends a GET to the verify page and refuses any other method
    assert client.post(PANIC, {"confirm": "net-a"}).status_code == 403
    assert key_file.exists() and readable(data) and not wipes(network_a)
    page = stepped_up(coordinator_a, seconds_ago=10).get(PANIC)
    assert page.status_code == 200 and "<strong>net-a</strong>" in page.content.decode()


@pytest.mark.django_db
def test_a_wrong_short_name_does_nothing_and_says_so(
    network_a,
    coordinator_a,
    data,
    key_file,  # noqa: F811
):
    client = stepped_up(coordinator_a)
    for typed in ("NET-A", "net-b", "net", "Network A", ""):
        response = client.post(PANIC, {"confirm": typed})
        assert response.status_code == 400
        page = response.content.decode()
        if typed:
            assert "That is not the network&#x27;s short name. Nothing was wiped." in page
            assert f'value="{typed}"' in page  # what was typed stays
        else:
            assert "Type the network&#x27;s short name to confirm." in page
    assert key_file.exists() and readable(data) and not wipes(network_a)
    assert Session.objects.exists()


@pytest.mark.django_db
def test_a_dispatcher_gets_403(network_a, data, key_file):  # noqa: F811
    dispatcher = make_user(network_a, "d@a.example", ["dispatcher"])
    client = stepped_up(dispatcher)
    assert client.get(PANIC).status_code == 403
    assert client.post(PANIC, {"confirm": "net-a"}).status_code == 403
    assert key_file.exists() and readable(data) and not wipes(network_a)


@pytest.mark.django_db
def test_with_two_networks_it_is_refused_and_explained(
    network_a,
    network_b,
    coordinator_a,
    data,
    key_file,  # noqa: F811
):
    client = stepped_up(coordinator_a)
    page = client.get(PANIC)
    assert page.status_code == 200
    assert "amparo panic --i-understand" in page.content.decode()
    assert 'name="confirm"' not in page.content.decode()
    response = client.post(PANIC, {"confirm": "net-a"})
    assert response.status_code == 409
    assert "more than one network" in response.content.decode()
    assert key_file.exists() and readable(data) and not wipes(network_a)
    # Once the other network is no longer active, the page is offered again.
    network_b.is_active = False
    network_b.save()
    assert 'name="confirm"' in client.get(PANIC).content.decode()


@pytest.mark.django_db
def test_the_right_short_name_wipes_everything_and_logs_everybody_out(
    network_a,
    coordinator_a,
    volunteer_a,
    data,
    key_file,  # noqa: F811
):
    bystander = client_for(volunteer_a)
    assert bystander.get(reverse("dashboard")).status_code == 200
    client = stepped_up(coordinator_a)
    response = client.post(PANIC, {"confirm": " net-a "})  # spaces around are forgiven
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="panic-done"' in page and "Marisol" not in page

    assert not key_file.exists()
    checked = 0
    for model, names in _encrypted_models():
        for row in model._base_manager.all():
            for name in names:
                assert getattr(row, name) is None, f"{model._meta.label}.{name}"
                checked += 1
    assert checked >= 10  # two users' emails and names, the person, the messages…
    assert not Session.objects.exists()
    for someone in (client, bystander):  # logged out, and the server says why (issue 15)
        response = someone.get(reverse("dashboard"))
        assert response.status_code == 503 and 'id="keys-gone"' in response.content.decode()

    # audited before the wipe only: afterwards the index key that chains the log is gone
    (started,) = AuditEvent.objects.filter(action="keys").order_by("id")
    assert started.actor == coordinator_a and started.note == "panic wipe started from the web"


@pytest.mark.django_db
def test_a_database_error_while_auditing_never_stops_the_wipe(
    network_a,
    coordinator_a,
    data,
    key_file,  # noqa: F811
    monkeypatch,
):
    """Review of issue 15: the page had no guard around the audit record at all."""
    from django.db import OperationalError

    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr("amparo.core.panic.audit_record", locked)
    response = stepped_up(coordinator_a).post(PANIC, {"confirm": "net-a"})
    assert response.status_code == 200 and 'id="panic-done"' in response.content.decode()
    assert not key_file.exists() and not readable(data)
