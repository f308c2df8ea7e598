"""The Respond page, the alert page and the second approval: tenancy, capability, the
reports rule (nothing leaves for an unconfirmed incident), launch → board."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from amparo.alerts.models import Alert, AlertKind, AlertRecipient
from amparo.channels.models import Delivery
from amparo.conftest import client_for, make_user
from amparo.reports.models import IncidentStatus
from amparo.tests.factories import PersonFactory, ResponderFactory

from .test_planning import area, confirmed_incident  # noqa: F401


def _post(incident, **extra):
    data = {"squad": "on", "squad_target": "6", "radius_km": "8", "action": "send"}
    data.update(extra)
    return data


def test_other_network_gets_404(network_a, area, coordinator_b) -> None:  # noqa: F811
    incident = confirmed_incident(network_a)
    url = reverse("alerts:respond", kwargs={"incident_pk": incident.pk})
    assert client_for(coordinator_b).get(url).status_code == 404
    assert client_for(coordinator_b).post(url, _post(incident)).status_code == 404
    alert = Alert.objects.create(network=network_a, incident=incident, kind=AlertKind.SQUAD)
    assert (
        client_for(coordinator_b).get(reverse("alerts:alert", args=[alert.pk])).status_code == 404
    )


def test_without_dispatch_capability_403(network_a, area, volunteer_a) -> None:  # noqa: F811
    incident = confirmed_incident(network_a)
    url = reverse("alerts:respond", kwargs={"incident_pk": incident.pk})
    assert client_for(volunteer_a).get(url).status_code == 403
    assert client_for(volunteer_a).post(url, _post(incident)).status_code == 403
    assert not Alert.objects.exists()


def test_page_shows_facility_and_segments(network_a, area, coordinator_a) -> None:  # noqa: F811
    from amparo.alerts.demo import seed_alerts

    seed_alerts(network_a)
    incident = confirmed_incident(network_a)
    url = reverse("alerts:respond", kwargs={"incident_pk": incident.pk})
    page = client_for(coordinator_a).get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Fictional ICE Processing Center (demo)" in html and " km)" in html
    assert 'class="seg"' in html and "GSM-7" in html
    accented = "Redada confirmada en la fábrica. ¿Puedes ir? Responde 1 o 2. " * 2
    preview = client_for(coordinator_a).post(
        url, {**_post(incident), "action": "preview", "squad_es": accented}
    )
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "UCS-2" in html and "seg-stripped" in html and "Redada confirmada en la fabrica" in html
    assert not Alert.objects.exists()


def test_unconfirmed_incident_sends_nothing(network_a, area, coordinator_a) -> None:  # noqa: F811
    ResponderFactory.create(network=network_a, place=area["holyoke"], available_now=True)
    incident = confirmed_incident(network_a)
    incident.status = IncidentStatus.VERIFYING
    incident.save()
    url = reverse("alerts:respond", kwargs={"incident_pk": incident.pk})
    client = client_for(coordinator_a)
    page = client.get(url)
    assert page.status_code == 200 and 'id="respond-blocked"' in page.content.decode()
    assert client.post(url, _post(incident)).status_code == 400
    assert not Alert.objects.exists()
    assert not AlertRecipient.objects.exists() and not Delivery.objects.exists()


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "No alert can go out before a verifier who did not report confirms."),
        ("es", "Ninguna alerta puede salir antes de que confirme una persona verificadora"),
    ],
)
def test_a_refusal_from_the_service_is_the_403_page_in_the_persons_language(
    network_a,
    area,  # noqa: F811
    coordinator_a,
    monkeypatch,
    language,
    said,
) -> None:
    """The incident is no longer confirmed when the launch runs (the page had checked a
    moment before): the service's AlertNotAllowed is answered in one place
    (amparo.core.errors.forbidden), in the person's language, and nothing is sent."""
    ResponderFactory.create(network=network_a, place=area["holyoke"], available_now=True)
    incident = confirmed_incident(network_a)
    incident.status = IncidentStatus.VERIFYING
    incident.save()
    monkeypatch.setattr("amparo.alerts.views_respond.alert_allowed", lambda incident: True)
    client = client_for(coordinator_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    url = reverse("alerts:respond", kwargs={"incident_pk": incident.pk})
    response = client.post(url, _post(incident))
    assert response.status_code == 403
    html = response.content.decode()
    assert said in html and 'lang="' + language in html
    assert not Delivery.objects.exists()


def test_preview_then_squad_launch_redirects_to_board(network_a, area, coordinator_a) -> None:  # noqa: F811
    people = [
        ResponderFactory.create(network=network_a, place=area["holyoke"], available_now=True)
        for _ in range(3)
    ]
    incident = confirmed_incident(network_a, place=area["holyoke"])
    url = reverse("alerts:respond", kwargs={"incident_pk": incident.pk})
    client = client_for(coordinator_a)
    preview = client.post(url, {**_post(incident), "action": "preview"})
    assert preview.status_code == 200
    html = preview.content.decode()
    assert 'class="plan"' in html and "3 recipients" in html and 'id="respond-send"' in html
    assert not Alert.objects.exists()
    response = client.post(url, _post(incident))
    assert response.status_code == 302
    assert response["Location"] == reverse("alerts:board", kwargs={"incident_pk": incident.pk})
    alert = Alert.objects.get(network=network_a)
    assert alert.kind == AlertKind.SQUAD and alert.status == Alert.Status.SENDING
    assert {r.person_id for r in alert.recipients.all()} == {p.pk for p in people}
    assert Delivery.objects.filter(alert=alert).count() == 3
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESPONDING


def test_member_alert_needs_a_different_approver(network_a, area, coordinator_a) -> None:  # noqa: F811
    PersonFactory.create(network=network_a, place=area["holyoke"], roles=["member"])
    incident = confirmed_incident(network_a)
    url = reverse("alerts:respond", kwargs={"incident_pk": incident.pk})
    response = client_for(coordinator_a).post(
        url, {"members": "on", "squad_target": "6", "radius_km": "8", "action": "send"}
    )
    alert = Alert.objects.get(network=network_a, kind=AlertKind.MEMBERS)
    assert response.status_code == 302
    assert response["Location"] == reverse("alerts:alert", kwargs={"pk": alert.pk})
    assert alert.status == Alert.Status.AWAITING_APPROVAL and not Delivery.objects.exists()
    page = client_for(coordinator_a).get(reverse("alerts:alert", args=[alert.pk]))
    assert page.status_code == 200 and 'data-status="approval"' in page.content.decode()
    approve = reverse("alerts:approve", args=[alert.pk])
    same = client_for(coordinator_a).post(approve)
    assert same.status_code == 400 and 'id="alert-error"' in same.content.decode()
    dispatcher = make_user(network_a, "d@a.example", ["dispatcher"])
    assert client_for(dispatcher).post(approve).status_code == 403
    alert.refresh_from_db()
    assert alert.status == Alert.Status.AWAITING_APPROVAL and not Delivery.objects.exists()
    other = make_user(network_a, "o@a.example", ["coordinator"])
    done = client_for(other).post(approve)
    assert done.status_code == 302
    alert.refresh_from_db()
    assert alert.status == Alert.Status.SENDING and alert.approved_by == other
    assert Delivery.objects.filter(alert=alert, tier=3).count() == 1
