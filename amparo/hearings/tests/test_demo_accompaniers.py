"""The demo's court accompaniers can be asked to a hearing: a new hearing texts them, so
CORTE 4821 can be tried from the sandbox phone (found walking the demo: nobody held the
court-accompaniment training, so a new hearing asked no one)."""

from __future__ import annotations

import pytest

from amparo.hearings.services import ROLE
from amparo.people.defaults import install_defaults
from amparo.people.demo import seed_people
from amparo.people.filters import may_be_alerted_as, role_holders


@pytest.mark.django_db
def test_demo_court_accompaniers_may_be_asked(network_a, settings):
    settings.DEMO_SCALE = 0.1
    install_defaults(network_a)
    seed_people(network_a)
    assert role_holders(network_a, [ROLE]).exists()
    assert may_be_alerted_as(network_a, [ROLE]).exists()
