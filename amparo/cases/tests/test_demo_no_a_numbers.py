"""After the demo (a raid with cases), the 72-hour notices, a hand-off and every page a
case team clicks through: no A-number in any message, log line or link."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from amparo.accounts.models import User
from amparo.cases.clock import cases_clock_sweep
from amparo.cases.handoff import handoff_record
from amparo.cases.models import Case, CaseKind
from amparo.channels.models import Delivery
from amparo.conftest import client_for
from amparo.core.demo import seed_demo
from amparo.core.sweeper import run_sweeps


@pytest.mark.django_db
def test_no_a_number_in_a_message_a_log_line_or_a_link(caplog):
    caplog.set_level(logging.DEBUG)
    seed_demo()
    cases = list(Case.objects.filter(network__slug="valle"))
    assert len(cases) == 35
    assert sum(1 for c in cases if c.incident_id) == 5
    assert {c.kind for c in cases} == set(CaseKind.values)
    a_numbers = {c.a_number for c in cases if c.a_number}
    assert len(a_numbers) >= 20 and all(len(a) == 9 for a in a_numbers)
    raid_case = next(c for c in cases if c.incident_id and c.a_number)
    hotline = User.objects.find_by_email("hotline@valle.example")
    handoff_record(
        network=raid_case.network,
        responder=hotline,
        caller_number="+14135550188",
        name_asked=raid_case.full_name,
    )
    with time_machine.travel(timezone.now() + timedelta(hours=49)):
        assert cases_clock_sweep() > 0
        run_sweeps()
    # Every page the team opens, and every link on it.
    manager = User.objects.find_by_email("cases@valle.example")
    assert manager is not None
    client = client_for(manager)
    links: list[str] = []
    pages = ["/", "/cases/", "/cases/?closed=1"] + [f"/cases/{c.pk}/" for c in cases[:12]]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        links += re.findall(r'(?:href|action|src)="([^"]*)"', response.content.decode())
    assert len(links) > 50
    bodies = [d.body for d in Delivery.objects.all()]
    purposes = set(Delivery.objects.values_list("purpose", flat=True))
    assert {"case-clock-team", "case-clock-coordinator", "case-handoff"} <= purposes
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for number in a_numbers:
        assert not [b for b in bodies if number in b]
        assert number not in logged
        assert not [link for link in links if number in link]
