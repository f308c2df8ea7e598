"""The dashboard shows dispatchers and coordinators the active incidents (confirmed or
responding, and those waiting for verification), each linking to its incident page;
a member who may not dispatch sees none of it (issue 12, point 1)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from amparo.conftest import client_for, make_user
from amparo.reports.models import Incident, IncidentStatus

S = IncidentStatus


@pytest.fixture
def incidents(network_a, network_b):
    made: dict[str, Incident] = {
        str(status): Incident.objects.create(network=network_a, status=status)
        for status in (S.CONFIRMED, S.RESPONDING, S.VERIFYING, S.UNVERIFIED, S.CLOSED)
    }
    made["false_alarm"] = Incident.objects.create(network=network_a, status=S.FALSE_ALARM)
    made["other"] = Incident.objects.create(network=network_b, status=S.CONFIRMED)
    return made


def _link(incident):
    return f'href="{reverse("reports:incident", kwargs={"pk": incident.pk})}"'


@pytest.mark.parametrize("roles", [["dispatcher"], ["coordinator"]])
def test_dispatchers_and_coordinators_see_active_incidents(network_a, incidents, roles) -> None:
    user = make_user(network_a, "dee@a.example", roles, name="Dee")
    html = client_for(user).get(reverse("dashboard")).content.decode()
    assert 'id="card-incidents"' in html
    for status in (S.CONFIRMED, S.RESPONDING, S.VERIFYING, S.UNVERIFIED):
        assert _link(incidents[status]) in html, status
    for gone in (S.CLOSED, "false_alarm", "other"):
        assert _link(incidents[gone]) not in html, gone
    # confirmed ones first, under their own heading; those waiting for verification apart
    active, waiting = html.index('id="incidents-active"'), html.index('id="incidents-waiting"')
    assert active < html.index(_link(incidents[S.CONFIRMED])) < waiting
    assert waiting < html.index(_link(incidents[S.VERIFYING]))


def test_spanish_dashboard_names_the_incidents_in_spanish(network_a, incidents) -> None:
    user = make_user(network_a, "dee@a.example", ["dispatcher"], name="Dee")
    html = client_for(user, language="es").get(reverse("dashboard")).content.decode()
    assert "Incidentes activos" in html and "Esperan verificación" in html


def test_nothing_active_says_so(network_a) -> None:
    user = make_user(network_a, "dee@a.example", ["dispatcher"], name="Dee")
    html = client_for(user).get(reverse("dashboard")).content.decode()
    assert 'id="card-incidents"' in html and "No active incidents." in html


@pytest.mark.parametrize("roles", [["committee"], ["hotline"]])
def test_a_member_who_may_not_dispatch_sees_none_of_it(network_a, incidents, roles) -> None:
    user = make_user(network_a, "bob@a.example", roles, name="Bob")
    html = client_for(user).get(reverse("dashboard")).content.decode()
    assert 'id="card-incidents"' not in html
    assert all(_link(incident) not in html for incident in incidents.values())
