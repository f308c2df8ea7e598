"""The 72-hour clock: past 24 h without counsel the team is told, past 48 h the
coordinators; once each, in their language, across a daylight-saving change, and
never with the A-number or the name in the text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from amparo.cases.clock import cases_clock_sweep, hours_left
from amparo.cases.models import CaseEvent
from amparo.cases.services import case_counsel_reached
from amparo.channels.models import Delivery

from .conftest import member, open_case

NY = ZoneInfo("America/New_York")
# The night before the clocks go back (Sunday 1 November 2026, 02:00 EDT -> 01:00 EST).
# In UTC, so that adding hours adds real time (aware arithmetic in one zone is wall time).
DETAINED = datetime(2026, 10, 31, 23, 0, tzinfo=NY).astimezone(UTC)


def _bodies(purpose: str) -> list[tuple[str, str]]:
    return [(d.to_address, d.body) for d in Delivery.objects.filter(purpose=purpose)]


@pytest.mark.django_db
def test_24h_team_48h_coordinator_across_the_dst_change(network_a, legal_a):
    coordinator = member(network_a, ["coordinator"], language="en", phone="+14135550310")
    with time_machine.travel(DETAINED + timedelta(minutes=5), tick=False):
        case = open_case(
            network_a,
            coordinator,
            detained_at=DETAINED,
            a_number="12345678",
            team=[(legal_a, "case-manager")],
        )
    assert case.a_number == "012345678"
    # 23 h 59 min of real time: nothing yet.
    with time_machine.travel(DETAINED + timedelta(hours=23, minutes=59), tick=False):
        assert cases_clock_sweep() == 0
    # 22:05 on the wall clock of 1 November is only 23 h 05 min after 23:00 on the wall,
    # but 24 h 05 min of real time have passed (the clocks went back an hour).
    wall = datetime(2026, 11, 1, 22, 5, tzinfo=NY)
    assert wall.hour - DETAINED.astimezone(NY).hour == -1  # 23:00 then 22:05 the next day
    assert wall.astimezone(UTC) - DETAINED == timedelta(hours=24, minutes=5)
    with time_machine.travel(wall, tick=False):
        assert cases_clock_sweep() == 1
        assert cases_clock_sweep() == 0  # once
    team = _bodies("case-clock-team")
    assert [to for to, _b in team] == ["+14135550301"]
    assert "24 horas" in team[0][1]  # the case manager reads Spanish
    assert _bodies("case-clock-coordinator") == []
    with time_machine.travel(DETAINED + timedelta(hours=48, minutes=1), tick=False):
        assert cases_clock_sweep() == 1
        assert cases_clock_sweep() == 0
    coord = _bodies("case-clock-coordinator")
    assert [to for to, _b in coord] == ["+14135550310"]
    assert "48 hours" in coord[0][1]  # the coordinator reads English
    for _to, body in team + coord:
        assert "12345678" not in body and "Pérez" not in body and "Juan" not in body
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert CaseEvent.Kind.NOTICE_TEAM in kinds and CaseEvent.Kind.NOTICE_COORD in kinds


@pytest.mark.django_db
def test_counsel_reached_stops_the_clock(network_a, legal_a):
    with time_machine.travel(DETAINED, tick=False):
        case = open_case(network_a, legal_a, detained_at=DETAINED, team=[(legal_a, "case-manager")])
        assert hours_left(case) == pytest.approx(72)
    with time_machine.travel(DETAINED + timedelta(hours=20), tick=False):
        case_counsel_reached(case=case, actor=legal_a)
        assert case.state.slug == "counsel"
        assert hours_left(case) is None
    with time_machine.travel(DETAINED + timedelta(hours=50), tick=False):
        assert cases_clock_sweep() == 0
    assert not Delivery.objects.filter(purpose__startswith="case-clock").exists()
