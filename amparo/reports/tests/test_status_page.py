"""The public status page: confirmed raids and false-alarm notes of the last 48 hours,
town and time only — never an address, a name or a number — EN/ES, no login, cacheable."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import include, path
from django.utils import timezone

from amparo.people.services import PersonData, person_upsert, place_get_or_create
from amparo.reports.services import ReportInput, incident_transition, report_submit
from amparo.reports.verification import verification_answer, verification_request
from amparo.reports.views_verify import status_page

# Until the lead mounts it in amparo/reports/urls_public.py, the tests mount it here.
urlpatterns = [
    path("report/status/<slug:network>/", status_page, name="report_status_test"),
    path("", include("amparo.urls")),
]
URL = "/report/status/net-a/"


@pytest.fixture
def seeded(network_a):
    town = place_get_or_create(
        network=network_a, name="Holyoke", latitude=42.2043, longitude=-72.6162
    )
    vera, _ = person_upsert(
        network=network_a,
        data=PersonData(
            name="Verónica Secreta",
            phones=["+14135550401"],
            roles=["verifier"],
            places=[town.pk],
            status="active",
            trainings=[("verifier", timezone.localdate())],
        ),
    )

    def submit(point, text, phone):
        return report_submit(
            network=network_a,
            source="web",
            data=ReportInput(
                details={"activity": text, "workplace": "123 Calle Secreta"},
                point=point,
                reporter_phone=phone,
            ),
        ).incident

    raid = submit({"lat": 42.2043, "lng": -72.6162}, "Raid at the plant", "+14135550499")
    incident_transition(incident=raid, to="confirmed", person=vera)
    rumour = submit({"lat": 42.1015, "lng": -72.5898}, "Rumour downtown", "+14135550498")
    result = verification_request(incident=rumour, count=1, within_km=40)
    verification_answer(request=result.requests[0], answer="not_confirmed")
    unverified = submit({"lat": 42.3251, "lng": -72.6412}, "Unchecked claim", "+14135550497")
    return {"raid": raid, "rumour": rumour, "unverified": unverified}


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_shows_confirmed_and_not_confirmed_only_without_addresses_or_names(seeded):
    response = Client().get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200  # no login
    assert "max-age=30" in response["Cache-Control"] and "public" in response["Cache-Control"]
    html = response.content.decode()
    assert "Confirmed raid" in html and "Holyoke" in html
    assert "Not confirmed" in html
    assert html.count("<li class=") == 2  # the unverified report does not appear
    for secret in (
        "Secreta",
        "Verónica",
        "Calle",
        "Raid at the plant",
        "Rumour",
        "Unchecked",
        "0401",
        "0499",
        "0498",
        "42.20",
    ):
        assert secret not in html


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_spanish_and_only_the_last_48_hours(seeded):
    response = Client().get(URL, HTTP_ACCEPT_LANGUAGE="es")
    assert 'lang="es"' in response.content.decode()
    with time_machine.travel(timezone.now() + timedelta(hours=49)):
        later = Client().get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert b'id="status-empty"' in later.content


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_an_unknown_network_is_404(network_a):
    assert Client().get("/report/status/nope/").status_code == 404
