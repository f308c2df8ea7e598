"""Audience planning: tiers by distance, trained responders only, opt-outs, quiet hours
(members skipped, responders not), languages, channels and the time estimate."""

from __future__ import annotations

from datetime import time

import pytest
import time_machine
from django.utils import timezone

from amparo.alerts.models import AlertKind, Facility
from amparo.alerts.planning import in_quiet_hours, nearest, plan_build
from amparo.alerts.services import alert_create
from amparo.people.defaults import install_defaults
from amparo.people.filters import may_be_alerted_as
from amparo.people.models import Person
from amparo.people.services import place_get_or_create
from amparo.reports.models import Incident, IncidentStatus
from amparo.tests.factories import PersonFactory, ResponderFactory

HOLYOKE = (42.2043, -72.6162)
CHICOPEE = (42.1487, -72.6079)  # ~6 km
SPRINGFIELD = (42.1015, -72.5898)  # ~11.5 km
AMHERST = (42.3732, -72.5199)  # ~20 km
TODAY = timezone.localdate


def town(network, name, where):
    return place_get_or_create(network=network, name=name, latitude=where[0], longitude=where[1])


def confirmed_incident(network, where=HOLYOKE, place=None):
    verifier = PersonFactory.create(network=network, name="Verifier", roles=["verifier"], phone="")
    return Incident.objects.create(
        confirmed_by=verifier,
        network=network,
        status=IncidentStatus.CONFIRMED,
        point={"lat": where[0], "lng": where[1]},
        place=place,
        confirmed_at=timezone.now(),
    )


@pytest.fixture
def area(network_a):
    install_defaults(network_a)
    return {
        "holyoke": town(network_a, "Holyoke", HOLYOKE),
        "chicopee": town(network_a, "Chicopee", CHICOPEE),
        "springfield": town(network_a, "Springfield", SPRINGFIELD),
        "amherst": town(network_a, "Amherst", AMHERST),
    }


def test_tiers_nearest_first_trained_only(network_a, area) -> None:
    near = ResponderFactory.create(network=network_a, place=area["holyoke"], available_now=True)
    mid = ResponderFactory.create(
        network=network_a, place=area["chicopee"], available_now=True, language="en"
    )
    # not available now → tier 2
    busy = ResponderFactory.create(network=network_a, place=area["holyoke"])
    # beyond 8 km → tier 2
    far = ResponderFactory.create(network=network_a, place=area["springfield"], available_now=True)
    # beyond 16 km → not asked
    ResponderFactory.create(network=network_a, place=area["amherst"], available_now=True)
    # untrained
    ResponderFactory.create(
        network=network_a, place=area["holyoke"], trained=False, available_now=True
    )
    # a member: not in a squad
    PersonFactory.create(network=network_a, place=area["holyoke"], roles=["member"])
    alert = alert_create(
        network=network_a, kind=AlertKind.SQUAD, incident=confirmed_incident(network_a)
    )
    plan = plan_build(alert=alert)
    tiers = {r.person_id: r.tier for r in plan.recipients}
    assert [r.person_id for r in plan.recipients if r.tier == 1] == [near.pk, mid.pk]
    assert tiers[busy.pk] == 2 and tiers[far.pk] == 2
    assert len(tiers) == 4
    assert plan.by_tier == {1: 2, 2: 2}
    assert plan.by_language == {"es": 3, "en": 1}
    assert plan.by_channel == {"sms": 4}
    assert plan.recipients[0].distance_km is not None and plan.recipients[0].distance_km < 1


def test_opt_outs_and_quiet_hours(network_a, area, settings) -> None:
    settings.ALERT_RATE_PER_SECOND = {"sms": 2}
    network_a.time_zone = "America/New_York"
    network_a.save()
    quiet = {"quiet_start": time(22, 0), "quiet_end": time(7, 0)}
    sleepy_responder = ResponderFactory.create(
        network=network_a, place=area["holyoke"], available_now=True, **quiet
    )
    ResponderFactory.create(
        network=network_a, place=area["holyoke"], available_now=True, opted_out_at=timezone.now()
    )
    ResponderFactory.create(
        network=network_a, place=area["holyoke"], available_now=True, opted_out_channels=" sms "
    )
    member = PersonFactory.create(network=network_a, place=area["holyoke"], roles=["member"])
    sleepy_member = PersonFactory.create(
        network=network_a, place=area["holyoke"], roles=["member"], **quiet
    )
    alert = alert_create(
        network=network_a, kind=AlertKind.MEMBERS, incident=confirmed_incident(network_a)
    )
    with time_machine.travel("2025-03-04 04:00:00Z", tick=False):  # 23:00 in New York
        plan = plan_build(alert=alert)
    ids = {r.person_id: r.tier for r in plan.recipients}
    assert ids[sleepy_responder.pk] == 1  # responders are woken
    assert ids[member.pk] == 3
    assert sleepy_member.pk not in ids and plan.quiet_skipped == 1
    assert plan.unreachable == 1  # opted out of sms, no other channel
    assert plan.total == 2
    assert plan.tier1_seconds == pytest.approx(0.5)
    assert plan.total_seconds == pytest.approx(1.0)


def test_quiet_hours_across_midnight() -> None:
    assert in_quiet_hours(time(22), time(7), time(23, 30))
    assert in_quiet_hours(time(22), time(7), time(6, 59))
    assert not in_quiet_hours(time(22), time(7), time(7, 0))
    assert in_quiet_hours(time(13), time(14), time(13, 30))
    assert not in_quiet_hours(None, time(7), time(3))


def test_legal_call_out_asks_attorneys_nearest_the_facility(network_a, area) -> None:
    Facility.objects.create(network=network_a, name="Far", latitude=40.7, longitude=-74.0)
    near_facility = Facility.objects.create(
        network=network_a, name="Near", address="1 Main St", latitude=42.11, longitude=-72.59
    )
    lawyer_near = PersonFactory.create(
        network=network_a, place=area["springfield"], roles=["attorney"]
    )
    lawyer_far = PersonFactory.create(network=network_a, place=area["amherst"], roles=["attorney"])
    # a responder: not asked
    ResponderFactory.create(network=network_a, place=area["springfield"], available_now=True)
    alert = alert_create(
        network=network_a, kind=AlertKind.LEGAL, incident=confirmed_incident(network_a)
    )
    assert alert.facility == near_facility and alert.target_going == 2
    plan = plan_build(alert=alert)
    assert [r.person_id for r in plan.recipients] == [lawyer_near.pk, lawyer_far.pk]


def test_nearest_limit(network_a, area) -> None:
    people = [ResponderFactory.create(network=network_a, place=area["chicopee"]) for _ in range(3)]
    people.append(ResponderFactory.create(network=network_a, place=area["holyoke"]))
    found = nearest(may_be_alerted_as(network_a, ["rapid-responder"]), *HOLYOKE, limit=1, max_km=30)
    assert found[0][0] == people[-1].pk
    assert Person.objects.count() == 4
