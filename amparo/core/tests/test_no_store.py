"""Issue 15.6: no page with personal data is kept by a browser or a proxy. The walk
opens every URL pattern (with network A's real ids, amparo/tests/tenancy.py) as A's
coordinator and asserts each answer says ``Cache-Control: no-store, private``; public
pages say the same unless their view chose their caching; static files keep theirs."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from amparo.accounts.tests.test_tenancy import _text, _urls
from amparo.conftest import client_for
from amparo.core.tests.urlwalk import iter_routes
from amparo.tests import tenancy

#: pages that show a person's data to a signed-in user: each must answer 200 in the walk
PERSONAL = {
    "people:detail",
    "reports:incident",
    "hotline:intake_outcome",
    "hotline:call",
    "hotline:conversation",
    "alerts:board",
}


def _no_store(response) -> bool:
    directives = {p.strip() for p in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


@pytest.mark.django_db
def test_every_page_a_signed_in_user_gets_says_no_store(network_a, coordinator_a):
    tenancy.seed(network_a, coordinator=coordinator_a)
    client = client_for(coordinator_a)
    cached, opened, visited = [], set(), 0
    for route in iter_routes():
        if route.name == "logout":
            continue
        for url in _urls(route, network_a)[:1]:  # one URL per pattern: A's first ids
            response = client.get(url)
            _text(response)  # a streamed body is read, as a browser would
            visited += 1
            if response.status_code == 200:
                opened.add(route.name)
            if not _no_store(response):
                cached.append(f"{url} ({response.status_code}): {response.get('Cache-Control')}")
    assert cached == []
    assert visited > 100
    assert opened >= PERSONAL  # the walk reached the pages that matter


@pytest.mark.django_db
def test_public_pages_say_no_store_unless_they_chose_and_static_files_keep_long_caching(
    network_a,
):
    client = Client()
    login = client.get(reverse("login"))
    assert _no_store(login)
    assert _no_store(client.get(reverse("password_reset")))
    assert _no_store(client.get(reverse("signup", kwargs={"network_slug": network_a.slug})))
    # the public status page (towns only) keeps the short public caching it chose
    status = client.get(reverse("report_status", kwargs={"network": network_a.slug}))
    assert "public" in status["Cache-Control"] and "no-store" not in status["Cache-Control"]
    css = re.search(r'href="(/static/amparo/amparo\.[0-9a-f]{12}\.css)"', login.content.decode())
    assert css is not None
    asset = client.get(css.group(1))
    assert (
        "max-age=315360000" in asset["Cache-Control"] and "no-store" not in asset["Cache-Control"]
    )
