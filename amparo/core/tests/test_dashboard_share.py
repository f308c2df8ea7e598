"""A coordinator's dashboard: the public links to share (full links, a copy button, QR
codes), and a warning when public reports wait and nobody can verify them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from amparo.conftest import client_for, make_user
from amparo.reports.models import Incident, IncidentStatus
from amparo.tests.factories import VerifierFactory

pytestmark = pytest.mark.django_db
WARNING = "Nobody can verify reports: give someone the Verifier role."


def test_the_coordinator_gets_the_public_links_with_qr_codes(network_a, coordinator_a, settings):
    settings.BASE_URL = "https://amparo.example.org"
    html = client_for(coordinator_a).get(reverse("dashboard")).content.decode()
    assert 'id="card-share"' in html
    for key, path in (("report", "/report/net-a/"), ("join", "/join/net-a/")):
        assert f'value="https://amparo.example.org{path}"' in html
        assert f'data-copy="share-{key}"' in html and f'id="qr-{key}"' in html
    assert "amparo/copy." in html
    es = client_for(coordinator_a, language="es").get(reverse("dashboard")).content.decode()
    assert "Compartir con el público" in es


def test_someone_who_does_not_run_the_network_gets_no_share_card(network_a):
    user = make_user(network_a, "dee@a.example", ["dispatcher"], name="Dee")
    assert 'id="card-share"' not in client_for(user).get(reverse("dashboard")).content.decode()


def test_reports_waiting_with_nobody_to_verify_them_warn_the_coordinator(network_a, coordinator_a):
    page = client_for(coordinator_a)
    assert WARNING not in page.get(reverse("dashboard")).content.decode()  # nothing waits
    Incident.objects.create(network=network_a, status=IncidentStatus.UNVERIFIED)
    assert WARNING in page.get(reverse("dashboard")).content.decode()
    VerifierFactory.create(network=network_a, name="Vera", phone="+14135550301")
    assert WARNING not in page.get(reverse("dashboard")).content.decode()


@pytest.mark.parametrize("demo", [True, False])
def test_the_sandbox_card_says_demo_only_in_the_demo(coordinator_a, settings, demo):
    settings.SANDBOX_ENABLED = True
    settings.DEMO = demo
    html = client_for(coordinator_a).get(reverse("dashboard")).content.decode()
    assert 'id="card-sandbox"' in html
    assert ("in this demo" in html) is demo
