"""The demo seed: a real raid, two false alarms with public notes, and a cluster the
console shows."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from amparo.conftest import client_for, make_user
from amparo.people.demo import seed_people
from amparo.reports.demo import seed_reports
from amparo.reports.models import Cluster, Incident
from amparo.reports.services import alert_allowed, is_reporter


@pytest.fixture
def seeded(request, network_a, settings):
    if moment := getattr(request, "param", None):  # seeded (and looked at) then
        traveller = time_machine.travel(moment)
        traveller.start()
        request.addfinalizer(traveller.stop)
    settings.DEMO_SCALE = 0.03
    seed_people(network_a)
    assert seed_reports(network_a) == 7
    return network_a


@pytest.mark.django_db
def test_demo_morning(seeded):
    assert seed_reports(seeded) == 0  # idempotent
    raid = Incident.objects.get(place__name="Holyoke")
    assert raid.report_count == 3 and raid.source_count == 2
    assert raid.status == "responding" and alert_allowed(raid)
    assert raid.confirmed_by.roles.filter(slug="verifier").exists()
    assert not is_reporter(raid, raid.confirmed_by)
    false_alarms = Incident.objects.filter(status="false_alarm")
    assert false_alarms.count() == 2 and all(i.public_note for i in false_alarms)
    cluster = Cluster.objects.get(network=seeded)
    towns = set(cluster.incidents.values_list("place__name", flat=True))
    assert towns == {"Holyoke", "Springfield", "Chicopee"}


@pytest.mark.django_db
@pytest.mark.parametrize("seeded", [None, "2026-06-10T04:30Z"], indirect=True)  # 00:30 local
def test_console_shows_the_demo_cluster(seeded):
    dispatcher = make_user(seeded, "d@a.example", ["dispatcher"])
    client = client_for(dispatcher)
    html = client.get(reverse("reports:console")).content.decode()
    assert "Clusters today" in html
    assert "3 confirmed incidents at different workplaces" in html
    assert "Chicopee, Holyoke, Springfield" in html
    rows = client.get(reverse("reports:console_feed")).json()["rows"]
    # responding first, then the confirmed ones by their latest report (at any hour)
    assert [r["place"] for r in rows] == [
        "Holyoke",
        "Chicopee",
        "Springfield",
        "Amherst",
        "Northampton",
    ]
    assert all(r["cluster"] for r in rows[:3])
    assert rows[-1]["status"] == "false_alarm"
