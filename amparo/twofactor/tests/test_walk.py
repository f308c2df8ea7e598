"""The two-factor walk (issue 7): a coordinator who holds every capability logs in with
the password alone, through the real login form, and tries every URL pattern of the
project with the ids of real objects of their own network, by GET and by POST. Nothing
that is not public answers anything but the way to the second factor: no page, no
person's name, no row written. Then the same session passes the second factor and the
same pages open, which proves the walk could have failed."""

from __future__ import annotations

import itertools
from urllib.parse import urlsplit

import pyotp
import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from amparo.accounts.models import AuditEvent
from amparo.channels.outbox import outbox_write
from amparo.channels.sandbox.models import SandboxThread
from amparo.channels.sandbox.services import sandbox_reply
from amparo.conftest import PASSWORD, send_now
from amparo.core.tests.urlwalk import iter_routes
from amparo.people.services import PersonData, person_upsert
from amparo.twofactor import services
from amparo.twofactor.middleware import gate_lets_through

pytestmark = pytest.mark.django_db

VERIFY = "/accounts/two-factor/verify/"
SETUP = "/accounts/two-factor/setup/"
PEOPLE = ["Zacarías Quintanilla", "Eulalia Ybarra-Nuñez", "Wenceslao Oyarzún"]
PHONES = ["+14135550161", "+14135550162", "+14135550163"]
CANARIES = [
    "Zacarías",
    "Quintanilla",
    "Eulalia",
    "Ybarra",
    "Wenceslao",
    "Oyarzún",
    "Oyarz&#250;n",
    "555-0161",
    "5550162",
    "Secreto-del-walk-4471",
]
#: The only views (besides the public ones) the gate lets through: the second step's
#: own pages. A new one must be added here on purpose.
EXEMPT = {"logout", "twofactor:verify", "twofactor:setup"}
EXEMPT_PREFIXES = ("twofactor:passkey_",)


def _seed(network):
    for name, phone in zip(PEOPLE, PHONES, strict=True):
        person_upsert(network=network, data=PersonData(name=name, phones=[phone], language="es"))
        delivery = outbox_write(
            network=network,
            channel="sandbox",
            to=phone,
            body="raid Secreto-del-walk-4471",
            purpose="message",
        )
        send_now(delivery)
        thread = SandboxThread.objects.get(network=network, number_index=delivery.to_index)
        sandbox_reply(thread=thread, body="Zacarías aquí")


def _ids(network) -> list[int]:
    """The ids of every row of ``network`` in every model that has a network."""
    ids: set[int] = {network.pk}
    for model in apps.get_models():
        field_names = {f.name for f in model._meta.get_fields()}
        if "network" in field_names:
            ids.update(model._default_manager.filter(network=network).values_list("pk", flat=True))
    return sorted(i for i in ids if isinstance(i, int))


def _urls(route, ids, slug):
    values = {
        "IntConverter": [str(i) for i in ids[:4]],
        "StringConverter": [slug, str(ids[0]), "MQ"],
        "SlugConverter": [slug],
    }
    names = list(route.converters)
    combos = itertools.product(*(values.get(route.converters[n], ["1"]) for n in names))
    return [reverse(route.name, kwargs=dict(zip(names, combo, strict=True))) for combo in combos]


def _counts():
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if not model._meta.proxy and model._meta.label != "sessions.Session"
    }


def _exempt(name: str) -> bool:
    return name in EXEMPT or name.startswith(EXEMPT_PREFIXES)


def test_a_password_alone_reaches_nothing(network_a, coordinator_a):
    _seed(network_a)
    device = services.totp_enrol_confirmed(user=coordinator_a)
    ids = _ids(network_a)
    assert len(ids) >= 5
    client = Client()
    login = client.post(reverse("login"), {"username": "alice@a.example", "password": PASSWORD})
    assert login.status_code == 302
    assert "_auth_user_id" in client.session
    counts, audit = _counts(), AuditEvent.objects.count()

    gated = exempt_seen = 0
    let_through: set[str] = set()
    for route in iter_routes():
        assert route.name, f"an unnamed URL pattern: {route.callback}"
        if gate_lets_through(route.callback):
            if getattr(route.callback, "login_required", True) is not False:
                let_through.add(route.name)
            continue
        for url in _urls(route, ids, network_a.slug):
            get = client.get(url)
            assert get.status_code == 302, f"GET {url} answered {get.status_code}"
            assert urlsplit(get["Location"]).path == VERIFY, f"GET {url} → {get['Location']}"
            post = client.post(url, {"body": "x", "network": network_a.pk, "next": "/"})
            assert post.status_code == 403, f"POST {url} answered {post.status_code}"
            for response in (get, post):
                text = response.content.decode("utf-8", "replace") + response.get("Location", "")
                for canary in CANARIES:
                    assert canary not in text, f"{url} shows {canary!r}"
            gated += 1
    # the gate lets through only the second step's own pages, and they show nothing
    assert {name for name in let_through if not _exempt(name)} == set()
    assert {"logout", "twofactor:verify", "twofactor:setup"} <= let_through
    for name in sorted(let_through - {"logout"}):
        route = next(r for r in iter_routes() if r.name == name)
        for url in _urls(route, ids, network_a.slug):
            text = client.get(url).content.decode("utf-8", "replace")
            for canary in CANARIES:
                assert canary not in text, f"{url} shows {canary!r}"
            exempt_seen += 1
    assert gated > 100 and exempt_seen >= 2
    assert _counts() == counts
    assert AuditEvent.objects.count() == audit
    assert "_auth_user_id" in client.session  # still logged in: the walk was real

    # The same session passes the second factor: the same pages now open.
    done = client.post(VERIFY, {"code": pyotp.TOTP(device.secret).now(), "next": "/"})
    assert done.status_code == 302 and done["Location"] == "/"
    assert client.get(reverse("dashboard")).status_code == 200
    people = client.get(reverse("people:list"))
    assert people.status_code == 200
    assert any(canary in people.content.decode() for canary in CANARIES)


def test_without_any_factor_the_walk_goes_to_setup(network_a, coordinator_a):
    client = Client()
    client.post(reverse("login"), {"username": "alice@a.example", "password": PASSWORD})
    checked = 0
    for route in iter_routes():
        if gate_lets_through(route.callback) or route.converters:
            continue
        response = client.get(reverse(route.name))
        assert response.status_code == 302
        assert urlsplit(response["Location"]).path == SETUP, route.name
        checked += 1
    assert checked > 20
