"""Board, feed, timeline, facilities and drills: access, figures, no bodies."""

from __future__ import annotations

from typing import Any

import pytest
from django.templatetags.static import static
from django.urls import reverse

from amparo.accounts.models import AuditEvent, Network, User
from amparo.alerts.demo import seed_alerts
from amparo.alerts.dispatch import alert_figures
from amparo.alerts.drills import drill_figures, drill_launch
from amparo.alerts.facilities import nearest_facility
from amparo.alerts.models import AlertKind, AlertRecipient, Facility
from amparo.channels.models import Delivery
from amparo.conftest import client_for

from .test_escalation import HOLYOKE, squad_alert
from .test_escalation import world as world  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


def test_nearest_facility_haversine(network_a: Network) -> None:
    seed_alerts(network_a)
    found = nearest_facility(network_a, {"lat": HOLYOKE[0], "lng": HOLYOKE[1]})
    assert found is not None
    facility, km = found
    assert facility.name == "Fictional ICE Processing Center (demo)" and 4 < km < 8
    assert nearest_facility(network_a, None) is None


def test_board_shows_answers_and_failures(
    network_a: Network, coordinator_a: User, coordinator_b: User, world: dict[str, Any]
) -> None:
    seed_alerts(network_a)
    facility = Facility.objects.filter(network=network_a).first()
    alert = squad_alert(
        network_a, world["incident"], world["first"], kind=AlertKind.LEGAL, facility=facility
    )
    a, b, c = AlertRecipient.objects.filter(alert=alert).order_by("pk")
    AlertRecipient.objects.filter(pk=a.pk).update(status="going", eta_minutes=15)
    AlertRecipient.objects.filter(pk=b.pk).update(status="not_going")
    Delivery.objects.create(
        network=network_a,
        channel="sandbox",
        to_address="+1",
        body="secret body",
        alert=alert,
        recipient=c,
        status="failed",
    )
    f = alert_figures(alert)
    assert (f.going, f.declined, f.silent, f.attorneys_confirmed, f.legal_enough) == (
        1,
        1,
        1,
        1,
        False,
    )
    assert f.failures == {"sandbox": 1}
    client = client_for(coordinator_a)
    page = client.get(reverse("alerts:board", kwargs={"alert_pk": alert.pk}))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Rita 0" in body and "secret body" not in body and static("amparo/board.js") in body
    feed = client.get(reverse("alerts:board_feed", kwargs={"incident_pk": world["incident"].pk}))
    data = feed.json()["alerts"][0]
    assert data["figures"]["going"] == 1 and data["rows"][0]["eta_minutes"] == 15
    timeline = client.get(reverse("alerts:timeline", kwargs={"incident_pk": world["incident"].pk}))
    assert timeline.status_code == 200 and "secret body" not in timeline.content.decode()
    other = client_for(coordinator_b)
    assert other.get(reverse("alerts:board", kwargs={"alert_pk": alert.pk})).status_code == 404


def test_facilities_directory(network_a: Network, coordinator_a: User, volunteer_a: User) -> None:
    client = client_for(coordinator_a)
    response = client.post(
        reverse("alerts:facility_new"),
        {
            "kind": "holding",
            "name": "Test Center (fictional)",
            "latitude": "42.1",
            "longitude": "-72.6",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    facility = Facility.objects.get(network=network_a)
    assert client.get(reverse("alerts:facilities")).content.decode().count("Test Center") == 1
    edit = client.post(
        reverse("alerts:facility", kwargs={"pk": facility.pk}),
        {"kind": "field_office", "name": "Renamed", "latitude": "42.1", "longitude": "-72.6"},
    )
    assert edit.status_code == 302
    facility.refresh_from_db()
    assert facility.name == "Renamed" and not facility.is_active
    # Both writes went through the service and are audited: who, which row, which fields.
    events = AuditEvent.objects.filter(target_type="alerts.facility", target_id=str(facility.pk))
    assert [(e.action, e.actor_id, e.network_id) for e in events.order_by("id")] == [
        (AuditEvent.Action.CREATE, coordinator_a.pk, network_a.pk),
        (AuditEvent.Action.UPDATE, coordinator_a.pk, network_a.pk),
    ]
    assert events.get(action=AuditEvent.Action.UPDATE).fields == ["is_active", "kind", "name"]
    assert client_for(volunteer_a).get(reverse("alerts:facilities")).status_code == 403


def test_drill_says_drill_and_measures(network_a: Network, world: dict[str, Any]) -> None:
    from datetime import timedelta

    alert = drill_launch(
        network=network_a,
        actor=None,
        message={"es": "Prueba {link}", "en": "Test"},
        tiers=[["rapid-responder"], ["verifier"]],
    )
    deliveries = list(Delivery.objects.filter(alert=alert))
    assert len(deliveries) == 6
    assert all(d.body.startswith("[DRILL") for d in deliveries)
    r = AlertRecipient.objects.filter(alert=alert, tier=1).first()
    assert r is not None
    AlertRecipient.objects.filter(pk=r.pk).update(
        status="going", answered_at=(alert.launched_at or alert.created_at) + timedelta(seconds=90)
    )
    tiers = drill_figures([alert])[alert.pk]
    assert [(t.tier, t.asked, t.answered) for t in tiers] == [(1, 5, 1), (2, 1, 0)]
    assert tiers[0].median_seconds == 90 and tiers[1].median_seconds is None
