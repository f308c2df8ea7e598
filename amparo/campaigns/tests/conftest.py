"""The petition's and the letters' test helpers: a confirmed raid, a public post."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from amparo.people import antiabuse
from amparo.reports.models import Incident, IncidentStatus

CHALLENGE = re.compile(r'name="pow_challenge" value="([^"]+)"')
BITS = re.compile(r'data-pow-bits="(\d+)"')


@pytest.fixture(autouse=True)
def _cheap_pow(settings: Any) -> None:
    settings.SIGNUP_POW_BITS = 2


def raid(network: Any) -> Incident:
    return Incident.objects.create(
        network=network, status=IncidentStatus.CONFIRMED, confirmed_at=timezone.now()
    )


def public_client(language: str = "es") -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def public_post(
    url: str, data: dict[str, Any], *, address: str = "198.51.100.7", solve: bool = True, **kw: Any
) -> tuple[Client, Any]:
    """One post of a public form from ``address``: the page fetched, its proof of work
    solved (or, ``solve=False``, left empty as a browser without JavaScript does)."""
    client = kw.pop("client", None) or public_client()
    page = client.get(url).content.decode()
    found, bits = CHALLENGE.search(page), BITS.search(page)
    assert found is not None and bits is not None
    challenge = found.group(1)
    nonce = antiabuse.pow_solve(challenge=challenge, bits=int(bits.group(1))) if solve else ""
    body = {"pow_challenge": challenge, "pow_nonce": nonce, **data}
    return client, client.post(url, body, REMOTE_ADDR=address, **kw)
