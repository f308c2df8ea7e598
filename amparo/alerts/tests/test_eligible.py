"""Issue 12, point 5: only confirmed, active people whose role's required trainings are
valid are alerted as responders, drilled or asked to verify; the plan preview and the
drill page say how many were left out and why."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from amparo.accounts.models import Network
from amparo.alerts import escalation
from amparo.alerts.drills import drill_launch
from amparo.alerts.models import AlertKind, AlertRecipient, EscalationStep, Facility
from amparo.alerts.planning import plan_build
from amparo.alerts.services import alert_create
from amparo.conftest import client_for
from amparo.reports.verification import verifiers_near
from amparo.tests.factories import PersonFactory, ResponderFactory, VerifierFactory

from .test_escalation import scenario, squad_alert
from .test_planning import area, confirmed_incident  # noqa: F401

pytestmark = pytest.mark.django_db
EXPIRED = timezone.localdate() - timedelta(days=400)  # the training is valid 365 days


def _cast(network: Network, place: Any, factory: Any = ResponderFactory) -> dict[str, Any]:
    """One of each near ``place``: a confirmed trained person (in), a sign-up that never
    confirmed (trained, available), and a confirmed person whose training expired."""
    return {
        "ready": factory.create(network=network, place=place, available_now=True),
        "signed_up": factory.create(
            network=network, place=place, available_now=True, status="signed_up"
        ),
        "expired": factory.create(
            network=network, place=place, available_now=True, trained=EXPIRED
        ),
    }


def test_a_squad_plan_asks_only_the_confirmed_and_trained(network_a, area) -> None:  # noqa: F811
    cast = _cast(network_a, area["holyoke"])
    alert = alert_create(
        network=network_a, kind=AlertKind.SQUAD, incident=confirmed_incident(network_a)
    )
    plan = plan_build(alert=alert)
    assert [r.person_id for r in plan.recipients] == [cast["ready"].pk]
    assert (plan.unconfirmed, plan.untrained) == (1, 1)


def test_a_legal_call_out_skips_imported_attorneys_who_never_confirmed(network_a, area) -> None:  # noqa: F811
    Facility.objects.create(network=network_a, name="Near", latitude=42.11, longitude=-72.59)
    lawyer = PersonFactory.create(network=network_a, place=area["springfield"], roles=["attorney"])
    for _ in range(2):
        PersonFactory.create(
            network=network_a,
            place=area["springfield"],
            roles=["attorney"],
            status="signed_up",
            source="import",
        )
    alert = alert_create(
        network=network_a, kind=AlertKind.LEGAL, incident=confirmed_incident(network_a)
    )
    plan = plan_build(alert=alert)
    assert [r.person_id for r in plan.recipients] == [lawyer.pk]
    assert (plan.unconfirmed, plan.untrained) == (2, 0)


def test_the_widen_step_asks_only_the_confirmed_and_trained(network_a) -> None:
    world = scenario(network_a)
    cast = _cast(network_a, world["place"])
    alert = squad_alert(network_a, world["incident"], [], target_going=3)
    step = EscalationStep.objects.create(
        alert=alert, position=0, action="widen", params={}, due_at=timezone.now()
    )
    assert escalation.escalation_run(step)["code"] == "asked"
    asked = set(AlertRecipient.objects.filter(alert=alert).values_list("person_id", flat=True))
    assert asked == {cast["ready"].pk}


def test_a_role_drill_drills_only_the_confirmed_and_trained(network_a, area) -> None:  # noqa: F811
    cast = _cast(network_a, area["holyoke"])
    alert = drill_launch(
        network=network_a, actor=None, message={"en": "Test {link}"}, tiers=[["rapid-responder"]]
    )
    assert list(alert.recipients.values_list("person_id", flat=True)) == [cast["ready"].pk]


def test_only_confirmed_trained_verifiers_are_asked_to_verify(network_a, area) -> None:  # noqa: F811
    cast = _cast(network_a, area["holyoke"], VerifierFactory)
    incident = confirmed_incident(network_a)
    assert verifiers_near(incident=incident, limit=10) == [cast["ready"]]


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", ["Left out", "1 not yet confirmed", "1 training expired or missing"]),
        ("es", ["Excluidas", "1 sin confirmar", "1 con la capacitación vencida o pendiente"]),
    ],
)
def test_the_preview_and_the_drill_page_say_who_was_left_out_and_why(
    network_a,
    area,  # noqa: F811
    coordinator_a,
    language,
    said,
) -> None:
    _cast(network_a, area["holyoke"])
    incident = confirmed_incident(network_a)
    client = client_for(coordinator_a, language)
    url = reverse("alerts:respond", kwargs={"incident_pk": incident.pk})
    preview = client.post(
        url, {"squad": "on", "squad_target": "6", "radius_km": "8", "action": "preview"}
    )
    html = preview.content.decode()
    assert preview.status_code == 200 and 'class="plan-left-out"' in html
    assert all(s in html for s in said), html[html.find("plan-figures") :][:2000]
    drill = client.post(
        reverse("alerts:drill_new"),
        {"tier1": ["rapid-responder"], "message_en": "Test"},
        follow=True,
    )
    page = drill.content.decode()
    assert drill.status_code == 200 and all(s in page for s in said[1:])
