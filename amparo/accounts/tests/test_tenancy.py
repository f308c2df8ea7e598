"""As network B's coordinator, walk every URL pattern with network A's object ids:
nothing of A's may show, and nothing of A's may change."""

from __future__ import annotations

import itertools

import pytest
from django.urls import reverse

from amparo.accounts.models import AuditEvent, Membership
from amparo.channels.models import Delivery, InboundMessage
from amparo.channels.outbox import outbox_write
from amparo.channels.sandbox.models import SandboxMessage, SandboxThread
from amparo.channels.sandbox.services import sandbox_reply
from amparo.conftest import client_for, mark_client_verified, send_now
from amparo.urlwalk import iter_routes

A_NUMBER = "+14135550111"
B_NUMBER = "+14135550122"


def _traffic(network, number, text):
    delivery = outbox_write(
        network=network, channel="sandbox", to=number, body=text, purpose="message"
    )
    send_now(delivery)
    thread = SandboxThread.objects.get(network=network, number_index=delivery.to_index)
    sandbox_reply(thread=thread, body=f"re: {text}")


def _ids(network):
    ids: set[int] = set()
    for model in (Delivery, InboundMessage, SandboxThread, Membership):
        ids.update(model.objects.filter(network=network).values_list("pk", flat=True))
    ids.update(SandboxMessage.objects.filter(thread__network=network).values_list("pk", flat=True))
    ids.update(Membership.objects.filter(network=network).values_list("user_id", flat=True))
    ids.add(network.pk)
    return sorted(ids)


def _snapshot(network):
    return (
        Delivery.objects.filter(network=network).count(),
        InboundMessage.objects.filter(network=network).count(),
        SandboxMessage.objects.filter(thread__network=network).count(),
        Membership.objects.filter(network=network).count(),
        sorted(Membership.objects.filter(network=network).values_list("user_id", "roles__slug")),
    )


def _urls(route, ids, slug):
    if not route.name or route.name.endswith(":"):
        return []
    values = {
        "IntConverter": [str(i) for i in ids],
        "StringConverter": [slug, *[str(i) for i in ids[:3]], "MQ", "set-password"],
        "SlugConverter": [slug],
    }
    names = list(route.converters)
    combos = itertools.product(*(values.get(route.converters[n], ["1"]) for n in names))
    return [reverse(route.name, kwargs=dict(zip(names, combo, strict=True))) for combo in combos]


@pytest.mark.django_db
def test_network_b_sees_and_changes_nothing_of_network_a(
    network_a, coordinator_a, volunteer_a, coordinator_b, network_b
):
    secret = "Secreto-de-A-9137"
    for number in (A_NUMBER, "+14135550112", "+14135550113"):
        _traffic(network_a, number, f"raid at the plant {secret}")
    _traffic(network_b, B_NUMBER, "B's own message")
    canaries = [
        secret,
        network_a.name,
        "Alicia",
        "Roberto",
        "alice@a.example",
        "bob@a.example",
        "(413) 555-0111",
        "555-0111",
        "5550111",
    ]
    before = _snapshot(network_a)
    audit_before = AuditEvent.objects.filter(network=network_a).count()
    # ids of A's objects that are not also ids of some object of B's
    ids = sorted(set(_ids(network_a)) - set(_ids(network_b)))
    a_threads = set(SandboxThread.objects.filter(network=network_a).values_list("pk", flat=True))
    assert a_threads & set(ids), "the walk must try A's sandbox threads"
    client = client_for(coordinator_b)

    visited = 0
    for route in iter_routes():
        for url in _urls(route, ids, network_a.slug):
            for method in ("get", "post"):
                data = {"body": "B writes here", "network": network_a.pk, "next": "/"}
                response = getattr(client, method)(url, data if method == "post" else None)
                visited += 1
                text = response.content.decode("utf-8", "replace")
                # a network's public sign-up page rightly shows that network's name
                public_page = route.name in {
                    "signup",
                    "signup_done",
                    "signup_confirm",
                    "report_form",
                    "report_done",
                    "report_status",
                }
                for canary in canaries:
                    if public_page and canary == network_a.name:
                        continue
                    assert canary not in text, f"{method.upper()} {url} shows A's {canary!r}"
                if route.converters and "IntConverter" in route.converters.values():
                    assert response.status_code in (404, 405), f"{method.upper()} {url}"
                location = response.headers.get("Location", "")
                assert secret not in location
                if route.name == "logout":
                    client.force_login(coordinator_b)
                    mark_client_verified(client)
    assert visited > 20
    assert _snapshot(network_a) == before
    assert AuditEvent.objects.filter(network=network_a).count() == audit_before
    # B tried to switch into A: still in B
    page = client.get(reverse("dashboard")).content.decode()
    assert network_b.name in page and network_a.name not in page


@pytest.mark.django_db
def test_the_walk_can_fail_a_of_a_own_coordinator_sees_the_thread(network_a, coordinator_a):
    """The same walk as A's coordinator finds A's message: the canaries are real."""
    _traffic(network_a, A_NUMBER, "visible to A")
    thread = SandboxThread.objects.get(network=network_a)
    page = client_for(coordinator_a).get(reverse("sandbox:thread", kwargs={"pk": thread.pk}))
    assert page.status_code == 200
    assert "visible to A" in page.content.decode()
    assert "(413) 555-0111" in page.content.decode()


@pytest.mark.django_db
def test_a_volunteer_without_the_role_cannot_open_the_sandbox(network_a, volunteer_a):
    _traffic(network_a, A_NUMBER, "for coordinators and dispatchers")
    thread = SandboxThread.objects.get(network=network_a)
    client = client_for(volunteer_a)
    assert client.get(reverse("sandbox:list")).status_code == 403
    response = client.get(reverse("sandbox:thread", kwargs={"pk": thread.pk}))
    assert response.status_code == 403
    assert "for coordinators" not in response.content.decode()
