"""A flood of 10,000 reports from many fake sources, with one genuine report in the
middle: nobody is paged, the console still loads, the genuine report stays on top.

Bounded: a few hundred posts go through the real view (rate limits, no-JavaScript low
trust), the rest of the 10,000 are bulk-inserted as the flood would leave them."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amparo.channels.models import Delivery
from amparo.conftest import client_for, make_user
from amparo.people import antiabuse
from amparo.people.services import place_get_or_create
from amparo.reports.models import Incident, Report
from amparo.reports.submit import incident_reports_ordered

CHALLENGE = re.compile(r'name="pow_challenge" value="([^"]+)"')


def _challenge(page: str) -> str:
    found = CHALLENGE.search(page)
    assert found is not None
    return found.group(1)


TOTAL = 10_000
THROUGH_VIEW = 400
TIME_LIMIT = 60.0


@pytest.mark.django_db
def test_flood_of_reports(network_a, settings):
    settings.SIGNUP_POW_BITS = 4
    settings.SIGNUP_NOJS_MIN_AGE = 0
    started = time.monotonic()
    plant = place_get_or_create(
        network=network_a, name="Holyoke", latitude=42.2043, longitude=-72.6162
    )
    url = reverse("report_form", kwargs={"network": network_a.slug})
    flooder = Client()
    codes: dict[int, int] = {}
    genuine_id = None
    for i in range(THROUGH_VIEW):
        if i == THROUGH_VIEW // 2:  # the genuine report, from a phone that runs pow.js
            person = Client()
            c = _challenge(person.get(url).content.decode())
            response = person.post(
                url,
                {
                    "pow_challenge": c,
                    "pow_nonce": antiabuse.pow_solve(challenge=c, bits=4),
                    "activity": "ICE vans at the gate, 4 agents",
                    "place": plant.pk,
                    "time": "now",
                },
                REMOTE_ADDR="198.51.100.7",
            )
            assert response.status_code == 302
            genuine_id = Report.objects.latest("id").pk
        # Many fake sources, some of them sharing an address (so limits bite); no nonce.
        challenge = _challenge(flooder.get(url).content.decode())
        response = flooder.post(
            url,
            {"pow_challenge": challenge, "activity": f"fake {i}", "place": plant.pk, "time": "now"},
            REMOTE_ADDR=f"203.0.113.{i % 40}",
        )
        codes[response.status_code] = codes.get(response.status_code, 0) + 1
    assert set(codes) <= {302, 429}
    assert codes.get(302, 0) >= 40  # kept, with low trust
    assert codes.get(429, 0) > 0  # the stricter no-JavaScript limit applies
    assert Report.objects.filter(low_trust=True).count() == codes[302]
    genuine = Report.objects.get(pk=genuine_id)
    assert not genuine.low_trust
    incident = genuine.incident
    assert incident is not None

    # The rest of the flood, as it would sit in the database: low-trust, newer.
    now = timezone.now()
    existing = Report.objects.filter(network=network_a).count()
    Report.objects.bulk_create(
        [
            Report(
                network=network_a,
                source="web",
                details={"activity": f"fake {i}"},
                cell=plant.h3_cell,
                place=plant,
                incident=incident,
                low_trust=True,
                received_at=now + timedelta(milliseconds=i),
            )
            for i in range(TOTAL - existing)
        ],
        batch_size=1000,
    )
    assert Report.objects.filter(network=network_a).count() == TOTAL

    # 1. Nobody was paged: the web form never sends anything.
    assert not Delivery.objects.exists()
    # 2. The console still loads for a dispatcher.
    dispatcher = make_user(network_a, "disp@example.org", ["dispatcher"])
    assert client_for(dispatcher).get(reverse("reports:console")).status_code == 200
    assert Incident.objects.filter(network=network_a).exists()
    # 3. The genuine report is at the top of its incident's list.
    assert incident_reports_ordered(incident).first() == genuine
    assert time.monotonic() - started < TIME_LIMIT
