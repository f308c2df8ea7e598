"""What waits for verification shows on the dashboard, and the hotline's "activate"
asks the nearest verifiers at once (issue 12, point 6)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from amparo.channels.models import Delivery
from amparo.conftest import client_for, make_user
from amparo.hotline.models import Intake
from amparo.people.services import place_get_or_create
from amparo.reports.models import Incident, IncidentEvent, IncidentStatus, VerificationRequest
from amparo.tests.factories import VerifierFactory

S = IncidentStatus


def ask(incident, person, key="t"):
    now = timezone.now()
    return VerificationRequest.objects.create(
        incident=incident,
        verifier=person,
        token_hash=key,
        code="1234",
        expires_at=now + timedelta(minutes=30),
    )


@pytest.fixture
def verifier_user(network_a):
    user = make_user(network_a, "vera@a.example", ["verifier"], name="Vera")
    VerifierFactory.create(network=network_a, name="Vera", phone="+14135550301", user=user)
    return user


@pytest.mark.django_db
def test_the_verifiers_dashboard_lists_the_requests_waiting_for_them(
    network_a, network_b, verifier_user
):
    mine = Incident.objects.create(network=network_a, status=S.VERIFYING)
    theirs = Incident.objects.create(network=network_a, status=S.VERIFYING)
    elsewhere = Incident.objects.create(network=network_b, status=S.VERIFYING)
    vr = ask(mine, verifier_user.person_records.get(network=network_a))
    other = ask(theirs, VerifierFactory.create(network=network_a, name="Otto"), key="u")
    far = ask(elsewhere, VerifierFactory.create(network=network_b, name="Bea"), key="w")
    client = client_for(verifier_user)
    html = client.get(reverse("dashboard")).content.decode()
    assert "Reports waiting for verification will appear here" not in html
    link = reverse("reports:verify_mine", kwargs={"pk": vr.pk})
    assert f'href="{link}"' in html
    for not_mine in (other, far):
        assert reverse("reports:verify_mine", kwargs={"pk": not_mine.pk}) not in html
    # the link answers: the request's page, and only for its own verifier
    page = client.get(link)
    assert page.status_code == 200 and 'name="answer"' in page.content.decode()
    assert client.get(reverse("reports:verify_mine", kwargs={"pk": other.pk})).status_code == 404
    assert client.get(reverse("reports:verify_mine", kwargs={"pk": far.pk})).status_code == 404
    client.post(link, {"answer": "confirmed", "note": "seen"})
    vr.refresh_from_db()
    assert vr.answer == "confirmed"
    assert f'href="{link}"' not in client.get(reverse("dashboard")).content.decode()


@pytest.mark.django_db
def test_nothing_waiting_says_so_in_spanish(network_a, verifier_user):
    html = client_for(verifier_user, language="es").get(reverse("dashboard")).content.decode()
    assert "Nada espera su verificación." in html


@pytest.mark.django_db
def test_the_dispatchers_dashboard_lists_an_unverified_incident(network_a):
    incident = Incident.objects.create(network=network_a, status=S.UNVERIFIED)
    user = make_user(network_a, "dee@a.example", ["dispatcher"], name="Dee")
    html = client_for(user).get(reverse("dashboard")).content.decode()
    assert reverse("reports:incident", kwargs={"pk": incident.pk}) in html
    assert "Reports waiting for verification will appear here" not in html


@pytest.mark.django_db
def test_activate_asks_the_nearest_trained_verifiers_at_once(
    network_a, django_capture_on_commit_callbacks
):
    holyoke = place_get_or_create(
        network=network_a, name="Holyoke", latitude=42.2043, longitude=-72.6162
    )
    near = VerifierFactory.create(
        network=network_a, name="Near", phone="+14135550311", place=holyoke
    )
    untrained = VerifierFactory.create(
        network=network_a, name="New", phone="+14135550312", place=holyoke, trained=False
    )
    rosa = make_user(network_a, "rosa@a.example", ["hotline"], name="Rosa")
    client = client_for(rosa)
    client.post(reverse("hotline:intake_start"), {"situation": "raid_now", "language": "es"})
    intake = Intake.objects.latest("id")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("hotline:intake", kwargs={"pk": intake.pk}),
            {"where": "Valley Poultry, Holyoke", "size": "6 agents", "outcome": "activate"},
        )
    assert response.status_code == 302
    incident = Incident.objects.get(network=network_a)
    asked = set(incident.verification_requests.values_list("verifier_id", flat=True))
    assert near.pk in asked and untrained.pk not in asked
    assert incident.status == S.VERIFYING
    assert Delivery.objects.filter(purpose="verify").exists()
    # the dispatcher sees it on the incident's timeline
    assert IncidentEvent.objects.filter(incident=incident, to_status=S.VERIFYING).exists()


@pytest.mark.django_db
def test_a_raid_report_outcome_does_not_ask_verifiers(network_a):
    VerifierFactory.create(network=network_a, name="Near", phone="+14135550311")
    rosa = make_user(network_a, "rosa@a.example", ["hotline"], name="Rosa")
    client = client_for(rosa)
    client.post(reverse("hotline:intake_start"), {"situation": "raid_now", "language": "es"})
    intake = Intake.objects.latest("id")
    client.post(
        reverse("hotline:intake", kwargs={"pk": intake.pk}),
        {"where": "Valley Poultry", "outcome": "raid_report"},
    )
    assert not VerificationRequest.objects.exists()
