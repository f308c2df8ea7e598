"""The demo's contact sheet and running playbook are seeded even though the support
demo (run first) already put congregations and legal services on the network: the
walk found the consulate step with no consulates and 0 of 15 steps done."""

from __future__ import annotations

import pytest

from amparo.people.models import Organization
from amparo.playbooks.demo import seed_playbooks
from amparo.playbooks.models import PlaybookStep
from amparo.playbooks.tests.test_playbooks import _raid

K = Organization.Kind


@pytest.mark.django_db
def test_seed_after_support_congregations_still_fills_sheet_and_playbook(network_a):
    Organization.objects.create(network=network_a, kind=K.CONGREGATION, name="Iglesia (demo)")
    _raid(network_a)
    seed_playbooks(network_a)
    assert Organization.objects.filter(network=network_a, kind=K.CONSULATE).count() == 5
    done = PlaybookStep.objects.filter(playbook__incident__network=network_a, done_at__isnull=False)
    assert set(done.values_list("key", flat=True)) == {"activate", "squad"}
    seed_playbooks(network_a)  # idempotent
    assert Organization.objects.filter(network=network_a, kind=K.CONSULATE).count() == 5
