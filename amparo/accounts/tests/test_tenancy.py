"""The tenancy walk: network A holds a row of every model (amparo/tests/tenancy.py);
every URL pattern is requested with A's real ids, by GET and by POST,

- as network B's coordinator: nothing of A's may show, and nothing of A's may change;
- as A's lowest roles (a member with no capability, a volunteer): nothing personal,
  need-to-know or of another capability shows, and nothing changes but their own things;
- as A's coordinator (rolled back): the same ids open the pages, so the walk could fail.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.db import transaction
from django.db.models import Q
from django.test import Client
from django.urls import reverse

from amparo.accounts.models import AuditEvent, Network, User
from amparo.channels.outbox import outbox_write
from amparo.channels.sandbox.models import SandboxThread
from amparo.channels.sandbox.services import sandbox_reply
from amparo.conftest import client_for, make_user, mark_client_verified, send_now
from amparo.core.tests.urlwalk import Route, iter_routes
from amparo.tests import tenancy
from amparo.tests.factories import PersonFactory

A_NUMBER = "+14135550111"
B_NUMBER = "+14135550122"
#: A network's public pages rightly show what it publishes (its name, towns, sessions).
#: ``report_start`` (/report/) lists every active network's name and hotline to choose from.
PUBLIC = {
    "signup",
    "signup_done",
    "signup_confirm",
    "report_form",
    "report_done",
    "report_status",
    "report_start",
}
STRINGS = ["MQ", "set-password", "1"]  # tried for every str in a URL (tokens, uidb64…)
#: A calendar feed opens with its secret token only: 404 for every wrong one, A's too.
BEARER = {"hotline:ical", "people:calendar"}
#: pages only the row's own person opens (a coordinator too gets 404); their owner's 200
#: is in their own tests (reports/tests/test_verification_waits.py)
OWN_ONLY = {"reports:verify_mine"}


def _traffic(network, number, text):
    delivery = outbox_write(
        network=network, channel="sandbox", to=number, body=text, purpose="message"
    )
    send_now(delivery)
    thread = SandboxThread.objects.get(network=network, number_index=delivery.to_index)
    sandbox_reply(thread=thread, body=f"re: {text}")


def _ids(network: Network, label: str) -> list[str]:
    """Up to three of the network's ids of ``label`` (the first two and the last)."""
    ids = list(
        tenancy.rows_of(network, apps.get_model(label)).order_by("pk").values_list("pk", flat=True)
    )
    return [str(pk) for pk in dict.fromkeys(ids[:2] + ids[-1:])]


def _urls(route: Route, network: Network) -> list[str]:
    if not route.name or route.name.endswith(":"):
        return []
    spec = tenancy.ROUTE_MODELS.get(route.name, {})
    choices: list[list[str]] = []
    for name, converter in route.converters.items():
        want: list[str] = [spec] if isinstance(spec, str) else spec.get(name, [])
        if converter == "IntConverter":
            assert want, f"{route.name}: say in tenancy.ROUTE_MODELS which model {name} is"
            choices.append([pk for label in want for pk in _ids(network, label)])
        elif converter == "SlugConverter":
            choices.append([network.slug])
        else:
            choices.append(want or [network.slug, *STRINGS])
    return [
        reverse(route.name, kwargs=dict(zip(route.converters, combo, strict=True)))
        for combo in itertools.product(*choices)
    ]


def _post_data(network: Network) -> dict[str, Any]:
    """A form (and a query string) that names A's own rows wherever a page takes an id."""

    def first(label: str) -> str:
        return _ids(network, label)[0]

    person = first("people.Person")
    return {
        "body": "B writes here",
        "network": network.pk,
        "next": "/",
        "person": person,
        "assignee": person,
        "trainer": person,
        "primaries": person,
        "user": first("accounts.User"),
        "call": first("hotline.Call"),
        "conversation": first("hotline.Conversation"),
        "segment": first("people.Segment"),
        "committee": first("people.Committee"),
        "incident": first("reports.Incident"),
        "facility": first("alerts.Facility"),
        "session": first("people.TrainingSession"),
    }


def _walk(client: Client, user: User, network: Network) -> Iterator[tuple[Route, str, Any]]:
    """Every URL by GET and by POST, naming A's rows in the path, the query string and the
    form wherever a page takes an id: (route, "GET url", response)."""
    data = _post_data(network)
    for route in iter_routes():
        for url in _urls(route, network):
            for method in ("get", "post"):
                response = getattr(client, method)(url, data)
                yield route, f"{method.upper()} {url}", response
                if route.name == "logout":
                    client.force_login(user)
                    mark_client_verified(client)


def _text(response: Any) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode("utf-8", "replace") + response.get("Location", "")


@pytest.fixture
def canaries(network_a, coordinator_a, volunteer_a) -> tenancy.Canaries:
    canaries = tenancy.seed(network_a, coordinator=coordinator_a)
    for number in (A_NUMBER, "+14135550112", "+14135550113"):
        _traffic(network_a, number, "raid at the plant Secreto-de-A-9137")
    canaries.secret += ["Secreto-de-A-9137", "(413) 555-0111", "555-0111", "5550111"]
    return canaries


@pytest.mark.django_db
def test_every_model_has_a_row_in_the_fixture(network_a, canaries):
    """A new model fails here until the fixture makes a row of it (or GLOBAL says why it
    belongs to no network), so the walk never skips a kind of record."""
    missing, no_network = [], []
    for model in tenancy.amparo_models():
        label = model._meta.label
        if label in tenancy.GLOBAL:
            assert tenancy.network_path(model) is None, f"{label} has a network: not GLOBAL"
            if not model._default_manager.exists():
                missing.append(label)
        elif tenancy.network_path(model) is None:
            no_network.append(label)
        elif not tenancy.rows_of(network_a, model).exists():
            missing.append(label)
    assert not no_network, f"no way to a network, and not in tenancy.GLOBAL: {no_network}"
    assert not missing, f"no row in the tenancy fixture (amparo/tests/tenancy.py): {missing}"
    assert len(tenancy.amparo_models()) >= 60
    assert set(tenancy.ROUTE_MODELS) <= {route.name for route in iter_routes()}


@pytest.mark.django_db
def test_network_b_sees_and_changes_nothing_of_network_a(
    network_a, canaries, volunteer_a, network_b, coordinator_b
):
    _traffic(network_b, B_NUMBER, "B's own message")
    canaries.secret += ["Alicia", "Roberto", "alice@a.example", "bob@a.example"]
    before = tenancy.snapshot(network_a)
    audit_before = AuditEvent.objects.filter(network=network_a).count()
    client = client_for(coordinator_b)
    started, visited = time.monotonic(), 0
    for route, request, response in _walk(client, coordinator_b, network_a):
        visited += 1
        leaked = canaries.found(_text(response), public_page=route.name in PUBLIC)
        assert not leaked, f"{request} shows A's {leaked!r}"
        if "IntConverter" in route.converters.values():
            assert response.status_code in (404, 405), f"{request}: {response.status_code}"
    print(f"B's walk: {visited} requests in {time.monotonic() - started:.1f} s")
    assert visited > 300
    assert tenancy.snapshot_diff(before, tenancy.snapshot(network_a)) == []
    assert AuditEvent.objects.filter(network=network_a).count() == audit_before
    # B tried to switch into A: still in B
    page = client.get(reverse("dashboard")).content.decode()
    assert network_b.name in page and network_a.name not in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("roles", "opens", "may_change"),
    [
        # a member without any capability: answers an event for themselves, nothing else
        ([], {"people:event_rsvp"}, {"people.Rsvp"}),
        (
            ["committee"],
            {
                "people:checkin",
                "people:checkin_person",
                "people:checkin_undo",
                "people:event_rsvp",
                "people:demand",
                "people:demand_move",
                "people:demand_check_now",
                "people:check_answer",
                "support:rota",
                "support:slot_take",
                "people:meeting_edit",
                "people:decision_edit",
                "people:demand_edit",
                "people:commitment_edit",
            },
            {
                "people.Attendance",
                "people.Rsvp",
                "people.Activity",
                "people.Decision",
                "people.Demand",
                "people.Commitment",
                "people.CommitmentCheck",
                "support.RotaSlot",
            },
        ),
    ],
    ids=["member", "volunteer"],
)
def test_a_s_lowest_roles_see_and_change_nothing_they_may_not(
    network_a, canaries, roles, opens, may_change
):
    """Outside the pages its capabilities open (``opens``), a low role gets 403 or 404
    for every id and sees no personal or need-to-know text anywhere; it changes nothing
    but its own login, second factor and language, and the models it may (``may_change``)."""
    lowest = make_user(network_a, "lowest@a.example", roles, name="Lorenzo Lowe")
    me = PersonFactory.create(network=network_a, name="Lorenzo Lowe", user=lowest)
    own_kinds = {"accounts.user", *(label.lower() for label in may_change)}

    def own(model: Any) -> Any:
        if model is User:
            return User.objects.filter(pk=lowest.pk)
        if model is AuditEvent:
            # their own rows, and a new link to their own calendar feed (issue 18)
            mine = Q(target_type="people.person", target_id=str(me.pk))
            return AuditEvent.objects.filter(Q(target_type__in=own_kinds) | mine, actor=lowest)
        if model._meta.app_label == "twofactor":
            return model._default_manager.filter(user=lowest)
        return model._default_manager.all() if model._meta.label in may_change else None

    before = tenancy.snapshot(network_a, leave_out=own)
    started, visited = time.monotonic(), 0
    for route, request, response in _walk(client_for(lowest), lowest, network_a):
        visited += 1
        if route.name in opens:
            continue
        leaked = canaries.found(_text(response), secret_only=True)
        assert not leaked, f"{request} shows {leaked!r}"
        if "IntConverter" in route.converters.values():
            assert response.status_code in (403, 404, 405), f"{request}: {response.status_code}"
    print(f"{roles}'s walk: {visited} requests in {time.monotonic() - started:.1f} s")
    assert visited > 300
    assert tenancy.snapshot_diff(before, tenancy.snapshot(network_a, leave_out=own)) == []


@pytest.mark.django_db
def test_the_walk_could_fail_a_s_coordinator_opens_every_id(network_a, canaries, coordinator_a):
    """Each pattern answers A's own coordinator with something other than 404 for one of
    the ids the walk tries, and the pages show the canaries: the ids are the right ones,
    and B's 404s and clean pages mean something. (Rolled back: nothing changes.)"""
    client = client_for(coordinator_a)
    not_found, shows = [], set()
    for route in iter_routes():
        if "IntConverter" not in route.converters.values() or route.name in BEARER | OWN_ONLY:
            continue
        statuses = []
        for url in _urls(route, network_a):
            for method in ("get", "post"):
                with transaction.atomic():
                    response = getattr(client, method)(url, _post_data(network_a))
                    transaction.set_rollback(True)
                statuses.append(response.status_code)
                if canaries.found(_text(response), secret_only=True):
                    shows.add(route.name)
                if response.status_code != 405:
                    break
        if all(status == 404 for status in statuses):
            not_found.append(route.name)
    assert not_found == []
    assert {
        "people:detail",
        "people:committee",
        "hotline:call",
        "hotline:intake_outcome",
        "hotline:conversation",
        "reports:incident",
        "alerts:board",
        "sandbox:thread",
    } <= shows


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


#: Pages that take a row's id in the query string or the form rather than the path
#: (found with: grep -rnE '(GET|POST|source)\.get\("' amparo --include='views*.py'),
#: and the methods that read it: another network's id must answer 404 there.
ID_PARAMS = {
    ("hotline:intake_start", "get"): {
        "call": "hotline.Call",
        "conversation": "hotline.Conversation",
    },
    ("hotline:intake_start", "post"): {
        "call": "hotline.Call",
        "conversation": "hotline.Conversation",
    },
    ("people:export", "get"): {"segment": "people.Segment"},
}


@pytest.mark.django_db
def test_ids_in_a_query_string_or_a_form_are_network_checked(
    network_a, canaries, network_b, coordinator_b
):
    client = client_for(coordinator_b)
    for (name, method), params in ID_PARAMS.items():
        for param, label in params.items():
            for pk in _ids(network_a, label):
                response = getattr(client, method)(reverse(name), {param: pk})
                request = f"{method.upper()} {reverse(name)} {param}={pk}"
                assert response.status_code == 404, f"{request}: {response.status_code}"
                assert not canaries.found(_text(response), public_page=False), request
