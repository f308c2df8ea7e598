"""The core of reports: merging into incidents, independent sources, the verification
rule, clusters and contact retention."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from amparo.people.services import place_get_or_create
from amparo.reports.models import Incident, Report
from amparo.reports.services import (
    AlertNotAllowed,
    IncidentTransitionError,
    ReportInput,
    alert_allowed,
    clusters_detect,
    incident_transition,
    report_move,
    report_submit,
    reports_purge_contacts,
    require_alert_allowed,
)
from amparo.tests.factories import PersonFactory

PLANT = {"lat": 42.2043, "lng": -72.6162}  # Holyoke
NEAR = {"lat": 42.2050, "lng": -72.6170}
FAR = {"lat": 42.3251, "lng": -72.6412}  # Northampton, ~14 km


def submit(network, point=PLANT, phone="", **extra):
    return report_submit(
        network=network,
        source="web",
        data=ReportInput(
            details={"activity": "agents at the gate"}, point=point, reporter_phone=phone, **extra
        ),
    )


@pytest.fixture
def verifier(network_a):
    return PersonFactory.create(
        network=network_a, name="Vera", phone="+14135550150", roles=["verifier"]
    )


@pytest.mark.django_db
def test_reports_near_in_place_and_time_merge_and_one_phone_counts_once(network_a):
    a = submit(network_a, phone="+14135550160")
    b = submit(network_a, point=NEAR, phone="+14135550160")  # the same person again
    c = submit(network_a, point=NEAR, phone="+14135550161")
    far = submit(network_a, point=FAR)
    assert a.incident_id == b.incident_id == c.incident_id != far.incident_id
    incident = Incident.objects.get(pk=a.incident_id)
    assert incident.report_count == 3 and incident.source_count == 2
    with time_machine.travel(timezone.now() + timedelta(hours=5)):
        later = submit(network_a)
    assert later.incident_id != a.incident_id


@pytest.mark.django_db
def test_a_reporter_cannot_verify_their_own_report(network_a, verifier):
    report = submit(network_a, phone="+14135550150")  # the verifier's own phone
    incident = report.incident
    with pytest.raises(IncidentTransitionError, match="reporter"):
        incident_transition(incident=incident, to="confirmed", person=verifier)
    assert not alert_allowed(incident)
    with pytest.raises(AlertNotAllowed):
        require_alert_allowed(incident)


@pytest.mark.django_db
def test_only_an_independent_verifier_unlocks_alerts(network_a, verifier):
    incident = submit(network_a, phone="+14135550161").incident
    assert not alert_allowed(incident)
    incident_transition(incident=incident, to="verifying")
    with pytest.raises(IncidentTransitionError):
        incident_transition(incident=incident, to="confirmed")  # nobody confirmed it
    incident_transition(incident=incident, to="confirmed", person=verifier)
    assert alert_allowed(incident)
    # a report by the verifier added afterwards makes them a reporter: no longer independent
    submit(network_a, point=NEAR, phone="+14135550150")
    assert not alert_allowed(incident)


@pytest.mark.django_db
def test_split_moves_a_report_to_a_new_incident(network_a):
    a = submit(network_a)
    b = submit(network_a, point=NEAR)
    new = report_move(report=b, to=None)
    assert new.pk != a.incident_id
    assert Incident.objects.get(pk=a.incident_id).report_count == 1


@pytest.mark.django_db
def test_confirmed_raids_at_different_workplaces_the_same_day_form_a_cluster(network_a, verifier):
    incidents = [submit(network_a, point=p).incident for p in (PLANT, FAR)]
    for incident in incidents:
        incident_transition(incident=incident, to="confirmed", person=verifier)
    clusters = clusters_detect(network=network_a)
    assert len(clusters) == 1
    assert set(clusters[0].incidents.values_list("pk", flat=True)) == {i.pk for i in incidents}


@pytest.mark.django_db
def test_reporters_numbers_are_forgotten_after_the_retention_period(network_a):
    report = submit(network_a, phone="+14135550162")
    assert reports_purge_contacts() == 0
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert reports_purge_contacts() == 1
    fresh = Report.objects.get(pk=report.pk)
    assert fresh.reporter_phone == "" and fresh.reporter_index is None


@pytest.mark.django_db
def test_a_town_without_a_point_still_places_the_report(network_a):
    town = place_get_or_create(
        network=network_a, name="Holyoke", latitude=42.2043, longitude=-72.6162
    )
    report = report_submit(
        network=network_a, source="sms", data=ReportInput(details={"text": "ICE"}, place=town)
    )
    assert report.cell == town.h3_cell and report.incident is not None
