"""From a confirmed incident to its call-outs by clicks (issue 12, point 1): the incident
page leads a dispatcher to the Respond page, or says why alerts cannot go yet; the
Respond page and the board name the incident (town, workplace, time in the network's
zone, status) and link back to it. A member who may not dispatch sees none of it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from amparo.alerts.models import Alert, AlertKind
from amparo.conftest import client_for, make_user
from amparo.reports.models import IncidentStatus
from amparo.reports.services import ReportInput, report_submit

from .test_planning import area, confirmed_incident  # noqa: F401

WORKPLACE = "Empacadora Ficticia del Valle"
# 13:14 UTC in December is 08:14 in the test networks' zone (America/New_York)
FIRST = datetime(2026, 12, 4, 13, 14, tzinfo=UTC)


@pytest.fixture
def dispatcher_a(network_a):
    return make_user(network_a, "dee@a.example", ["dispatcher"], name="Dee")


@pytest.fixture
def verifier_a(network_a):
    return make_user(network_a, "vera@a.example", ["verifier"], name="Vera")


def _incident(network, place, status=IncidentStatus.CONFIRMED):
    report = report_submit(
        network=network,
        source="web",
        data=ReportInput(details={"where": WORKPLACE, "activity": "ICE"}, place=place),
    )
    incident = confirmed_incident(network, place=place)
    report.incident = incident
    report.save(update_fields=["incident"])
    incident.status = status
    incident.first_report_at = FIRST
    incident.report_count = 1
    incident.save()
    return incident


def _incident_page(user, incident):
    response = client_for(user).get(reverse("reports:incident", kwargs={"pk": incident.pk}))
    assert response.status_code == 200
    return response.content.decode()


def _named(html, incident):
    """The page names the incident and links back to it."""
    assert f'href="{reverse("reports:incident", kwargs={"pk": incident.pk})}"' in html
    assert 'id="incident-named"' in html
    assert "Holyoke" in html and WORKPLACE in html
    assert "08:14" in html  # the network's zone, not UTC
    assert "confirmed" in html


@pytest.mark.parametrize("status", [IncidentStatus.CONFIRMED, IncidentStatus.RESPONDING])
def test_a_confirmed_incident_leads_a_dispatcher_to_the_respond_page(
    network_a,
    area,  # noqa: F811
    dispatcher_a,
    status,
) -> None:
    incident = _incident(network_a, area["holyoke"], status)
    html = _incident_page(dispatcher_a, incident)
    respond = reverse("alerts:respond", kwargs={"incident_pk": incident.pk})
    assert f'<a id="send-help" class="button primary" href="{respond}"' in html
    assert 'id="alerts-blocked"' not in html
    assert reverse("alerts:board", kwargs={"incident_pk": incident.pk}) in html


@pytest.mark.parametrize(
    "status", [IncidentStatus.UNVERIFIED, IncidentStatus.VERIFYING, IncidentStatus.UNCONFIRMED]
)
def test_an_unconfirmed_incident_says_verification_comes_first(
    network_a,
    area,  # noqa: F811
    dispatcher_a,
    status,
) -> None:
    incident = _incident(network_a, area["holyoke"], status)
    html = _incident_page(dispatcher_a, incident)
    assert 'id="send-help"' not in html
    assert reverse("alerts:respond", kwargs={"incident_pk": incident.pk}) not in html
    assert 'id="alerts-blocked"' in html
    assert "No alert can go out yet" in html and "confirm this incident first" in html


def test_spanish_incident_page_offers_the_step_in_spanish(network_a, area, dispatcher_a) -> None:  # noqa: F811
    incident = _incident(network_a, area["holyoke"])
    page = client_for(dispatcher_a, language="es").get(
        reverse("reports:incident", kwargs={"pk": incident.pk})
    )
    html = page.content.decode()
    assert 'id="send-help"' in html and "Enviar ayuda" in html


def test_a_member_who_may_not_dispatch_sees_no_step(network_a, area, verifier_a) -> None:  # noqa: F811
    confirmed = _incident(network_a, area["holyoke"])
    html = _incident_page(verifier_a, confirmed)
    assert 'id="send-help"' not in html and 'id="alerts-blocked"' not in html
    assert reverse("alerts:respond", kwargs={"incident_pk": confirmed.pk}) not in html
    respond = reverse("alerts:respond", kwargs={"incident_pk": confirmed.pk})
    assert client_for(verifier_a).get(respond).status_code == 403


def test_the_respond_page_names_the_incident_and_links_back(
    network_a,
    area,  # noqa: F811
    dispatcher_a,
) -> None:
    incident = _incident(network_a, area["holyoke"])
    page = client_for(dispatcher_a).get(
        reverse("alerts:respond", kwargs={"incident_pk": incident.pk})
    )
    assert page.status_code == 200
    _named(page.content.decode(), incident)


def test_the_board_names_the_incident_and_links_back(network_a, area, dispatcher_a) -> None:  # noqa: F811
    incident = _incident(network_a, area["holyoke"])
    alert = Alert.objects.create(network=network_a, incident=incident, kind=AlertKind.SQUAD)
    client = client_for(dispatcher_a)
    for url in (
        reverse("alerts:board", kwargs={"incident_pk": incident.pk}),
        reverse("alerts:board", kwargs={"alert_pk": alert.pk}),
        reverse("alerts:timeline", kwargs={"incident_pk": incident.pk}),
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        _named(page.content.decode(), incident)


def test_another_networks_incident_is_named_nowhere(
    network_a,
    area,  # noqa: F811
    coordinator_b,
) -> None:
    incident = _incident(network_a, area["holyoke"])
    client = client_for(coordinator_b)
    for url in (
        reverse("reports:incident", kwargs={"pk": incident.pk}),
        reverse("alerts:respond", kwargs={"incident_pk": incident.pk}),
        reverse("alerts:board", kwargs={"incident_pk": incident.pk}),
    ):
        response = client.get(url)
        assert response.status_code == 404 and WORKPLACE not in response.content.decode()
