"""A closed case is crypto-shredded after its retention period: its data key is gone,
so nothing sealed with it can be read, and the hotline can no longer match its name."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from amparo.alerts.models import Facility
from amparo.cases.handoff import handoff_matches
from amparo.cases.models import Case, CaseEvent, CaseTransfer
from amparo.cases.services import case_state_set, case_transfer, state_of
from amparo.conftest import client_for
from amparo.core.sweeper import run_sweeps

from .conftest import open_case


@pytest.mark.django_db
def test_a_closed_case_is_shredded_after_a_year(network_a, coordinator_a, legal_a):
    facility = Facility.objects.create(network=network_a, name="Centro", latitude=42, longitude=-72)
    case = open_case(network_a, coordinator_a, a_number="555", team=[(legal_a, "case-manager")])
    kept = open_case(network_a, coordinator_a, given_names="Rosa", family_names="Ortiz")
    case_transfer(
        case=case,
        to_facility=facility,
        moved_at=timezone.now(),
        actor=legal_a,
        note="secreto",
    )
    case_state_set(case=case, state=state_of(network_a, "closed"), actor=legal_a)
    assert handoff_matches(network_a, "Juan Pérez") == []  # closed: no longer matched
    with time_machine.travel(timezone.now() + timedelta(days=364)):
        run_sweeps()
    assert Case.objects.get(pk=case.pk).wrapped_key is not None
    with time_machine.travel(timezone.now() + timedelta(days=366)):
        run_sweeps()
    shredded = Case.objects.get(pk=case.pk)
    assert shredded.wrapped_key is None and shredded.name_tokens == ""
    assert shredded.given_names is None and shredded.a_number is None
    assert CaseTransfer.objects.get(case=case).note is None
    assert all(e.note is None for e in CaseEvent.objects.filter(case=case))
    # An open case is untouched, and its page still works for the team after shredding.
    assert Case.objects.get(pk=kept.pk).given_names == "Rosa"
    page = client_for(legal_a).get(f"/cases/{case.pk}/")
    assert page.status_code == 200 and "None" not in page.content.decode()
