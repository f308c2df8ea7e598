"""Escalation: due rows claimed once, satisfied steps stop, widen/voice/page act."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from amparo.accounts.models import Network
from amparo.alerts import escalation
from amparo.alerts.demo import seed_alerts
from amparo.alerts.models import Alert, AlertKind, AlertRecipient, EscalationPolicy, EscalationStep
from amparo.channels.models import Delivery
from amparo.conftest import make_user
from amparo.people.models import Person, PersonPhone
from amparo.people.reach import reach_refresh
from amparo.people.services import person_opt_out, place_get_or_create
from amparo.reports.models import Incident
from amparo.tests.factories import PersonFactory, ResponderFactory

HOLYOKE = (42.2043, -72.6162)
pytestmark = pytest.mark.django_db


def scenario(network: Network) -> dict[str, Any]:
    holyoke = place_get_or_create(
        network=network, name="Holyoke", latitude=HOLYOKE[0], longitude=HOLYOKE[1]
    )
    verifier = PersonFactory.create(  # trained: a drill asks only the trained (issue 12)
        network=network,
        name="Vera",
        phone="+14135550100",
        roles=["verifier"],
        place=holyoke,
        trained=True,
    )
    incident = Incident.objects.create(
        network=network,
        status="confirmed",
        point={"lat": HOLYOKE[0], "lng": HOLYOKE[1]},
        place=holyoke,
        confirmed_by=verifier,
        confirmed_at=timezone.now(),
    )
    return {"place": holyoke, "incident": incident, "verifier": verifier}


def squad_alert(network: Network, incident: Incident, people: list[Person], **kw: Any) -> Alert:
    now = timezone.now()
    alert = Alert.objects.create(
        network=network,
        incident=incident,
        kind=kw.pop("kind", AlertKind.SQUAD),
        status=Alert.Status.SENDING,
        templates={"es": "Redada en {place}: ¿puedes ir? {link}", "en": "Raid: {link}"},
        launched_at=now,
        expires_at=now + timedelta(hours=2),
        **kw,
    )
    for p in people:
        AlertRecipient.objects.create(alert=alert, person=p, tier=1, language=p.language)
    return alert


@pytest.fixture
def world(network_a: Network) -> dict[str, Any]:
    s = scenario(network_a)
    trained = timezone.localdate() - timedelta(days=10)
    s["first"] = [
        ResponderFactory.create(
            network=network_a,
            name=f"Rita {i}",
            phone=f"+1413555020{i}",
            place=s["place"],
            trained=trained,
        )
        for i in range(3)
    ]
    s["more"] = [
        ResponderFactory.create(
            network=network_a,
            name=f"Ramón {i}",
            phone=f"+1413555030{i}",
            place=s["place"],
            trained=trained,
        )
        for i in range(2)
    ]
    return s


def test_default_policies_are_data() -> None:
    squad = escalation.default_policy_steps("squad")
    assert [s["action"] for s in squad] == ["widen", "voice", "page_coordinators"]
    assert [s["after_minutes"] for s in squad] == [10, 15, 20]
    assert squad[0]["radius_km"] == 15
    legal = escalation.default_policy_steps("legal")
    assert [s["action"] for s in legal] == ["widen", "page_coordinators"]
    assert all(s["need"] == 2 for s in legal) and legal[0]["after_minutes"] == 15
    squad[0]["radius_km"] = 99  # a copy
    assert escalation.default_policy_steps("squad")[0]["radius_km"] == 15


def test_widen_asks_the_rest_as_next_tier_once(network_a: Network, world: dict[str, Any]) -> None:
    alert = squad_alert(network_a, world["incident"], world["first"], target_going=3)
    assert escalation.escalation_schedule(alert=alert) == 3
    assert escalation.escalation_schedule(alert=alert) == 0  # idempotent
    assert escalation.escalation_sweep() == 0  # nothing due yet
    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False):
        assert escalation.escalation_sweep() == 1
        assert escalation.escalation_sweep() == 0  # claimed and done: never twice
    step = EscalationStep.objects.get(alert=alert, action="widen")
    assert step.done_at is not None and step.result == "asked 2"
    new = AlertRecipient.objects.filter(alert=alert, tier=2)
    # the verifier is not a rapid responder; the first three were asked already
    assert {r.person_id for r in new} == {p.pk for p in world["more"]}
    assert all(r.code and r.token_hash for r in new)
    deliveries = Delivery.objects.filter(alert=alert, tier=2)
    assert deliveries.count() == 2 and all(d.recipient_id for d in deliveries)


def test_satisfied_step_does_nothing(network_a: Network, world: dict[str, Any]) -> None:
    alert = squad_alert(network_a, world["incident"], world["first"], target_going=2)
    AlertRecipient.objects.filter(alert=alert).update(status="going")
    escalation.escalation_schedule(alert=alert)
    with time_machine.travel(timezone.now() + timedelta(minutes=30), tick=False):
        assert escalation.escalation_sweep() == 3
    assert set(EscalationStep.objects.filter(alert=alert).values_list("result", flat=True)) == {
        "satisfied"
    }
    assert not AlertRecipient.objects.filter(alert=alert, tier=2).exists()


def test_need_from_params_and_closed_alert(network_a: Network, world: dict[str, Any]) -> None:
    alert = squad_alert(network_a, world["incident"], world["first"], target_going=6)
    AlertRecipient.objects.filter(alert=alert, person=world["first"][0]).update(status="going")
    step = EscalationStep.objects.create(
        alert=alert, position=0, action="widen", params={"need": 1}, due_at=timezone.now()
    )
    assert escalation.escalation_run(step)["code"] == "satisfied"
    Alert.objects.filter(pk=alert.pk).update(status=Alert.Status.CANCELLED)
    step.refresh_from_db()
    assert escalation.escalation_run(step) == {"code": "closed"}


def test_voice_calls_the_silent_once(
    network_a: Network, world: dict[str, Any], settings: Any
) -> None:
    alert = squad_alert(network_a, world["incident"], world["first"])
    AlertRecipient.objects.filter(alert=alert, person=world["first"][0]).update(status="not_going")
    step = EscalationStep.objects.create(
        alert=alert, position=1, action="voice", params={"tier": 2}, due_at=timezone.now()
    )
    assert escalation.escalation_run(step)["n"] == 2  # the demo's and tests' sandbox phone
    again = escalation.escalation_run(step)  # once per (recipient, channel)
    assert again["code"] == "nobody_to_call" and again["n"] == 0
    calls = Delivery.objects.filter(alert=alert, channel="sandbox_voice")
    assert calls.count() == 2 and {d.channel_rank for d in calls} == {1}
    settings.CHANNEL_ROUTES = {**settings.CHANNEL_ROUTES, "voice": ""}
    assert escalation.escalation_run(step) == {"code": "no_channel", "channel": "voice"}


def test_page_coordinators_in_their_language(network_a: Network, world: dict[str, Any]) -> None:
    coord = make_user(network_a, "coord@example.org", ["coordinator"], name="Coco")
    volunteer = make_user(network_a, "vol@example.org", ["dispatcher"], name="Vol")
    for name, phone, user, language in [
        ("Coco", "+14135550400", coord, "en"),
        ("Vol", "+14135550401", volunteer, "es"),
    ]:
        PersonFactory.create(
            network=network_a,
            name=name,
            phone=phone,
            roles=["member"],
            place=world["place"],
            language=language,
            user=user,
        )
    alert = squad_alert(network_a, world["incident"], world["first"], target_going=4)
    step = EscalationStep.objects.create(
        alert=alert, position=2, action="page_coordinators", params={}, due_at=timezone.now()
    )
    assert escalation.escalation_run(step)["n"] == 1
    page = Delivery.objects.get(purpose="page")
    assert page.language == "en" and "0 of 4" in page.body
    assert page.to_address == "+14135550400"


def test_abandoned_claim_is_retried_and_rows_survive_restart(
    network_a: Network, world: dict[str, Any]
) -> None:
    alert = squad_alert(network_a, world["incident"], world["first"], target_going=3)
    step = EscalationStep.objects.create(
        alert=alert,
        position=0,
        action="widen",
        params={"radius_km": 15},
        due_at=timezone.now() - timedelta(minutes=1),
        claimed_at=timezone.now() - timedelta(minutes=1),  # a worker died mid-step
    )
    assert escalation.escalation_sweep() == 0  # claim still fresh
    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False):
        assert escalation.escalation_sweep() == 1
    step.refresh_from_db()
    assert step.done_at is not None


def test_seed_alerts_policies_feed_the_schedule(network_a: Network, world: dict[str, Any]) -> None:
    assert seed_alerts(network_a) == 5
    assert seed_alerts(network_a) == 0
    assert EscalationPolicy.objects.get(network=network_a, kind="squad").steps[0]["action"] == (
        "widen"
    )
    alert = squad_alert(network_a, world["incident"], world["first"], kind=AlertKind.LEGAL)
    escalation.escalation_schedule(alert=alert)
    assert list(EscalationStep.objects.filter(alert=alert).values_list("action", flat=True)) == [
        "widen",
        "page_coordinators",
    ]


def test_the_steps_ask_only_those_the_flags_say_the_channel_reaches(
    network_a: Network, world: dict[str, Any]
) -> None:
    """Widen texts, voice calls and pages only people whose reachability flag for that
    channel is set (people/reach.py): a coordinator opted out of texts is not paged, a
    responder opted out of texts is not widened to, one with no number is not called."""
    quiet, landline = world["more"]
    person_opt_out(person=quiet, channel="sms")
    PersonPhone.objects.filter(person=landline).update(sms_ok=False)
    reach_refresh([landline.pk])  # as any write of a phone does
    alert = squad_alert(network_a, world["incident"], world["first"], target_going=9)
    widen = EscalationStep.objects.create(
        alert=alert, position=0, action="widen", params={}, due_at=timezone.now()
    )
    assert escalation.escalation_run(widen)["code"] == "nobody"
    no_phone = PersonFactory.create(network=network_a, phone="", roles=["member"])
    AlertRecipient.objects.create(alert=alert, person=no_phone, tier=1, language="es")
    voice = EscalationStep.objects.create(
        alert=alert, position=1, action="voice", params={}, due_at=timezone.now()
    )
    assert escalation.escalation_run(voice)["n"] == 3  # the first three, not the one without
    coord = make_user(network_a, "coord@example.org", ["coordinator"], name="Coco")
    paged = PersonFactory.create(network=network_a, phone="+14135550400", user=coord)
    person_opt_out(person=paged, channel="sms")
    page = EscalationStep.objects.create(
        alert=alert, position=2, action="page_coordinators", params={}, due_at=timezone.now()
    )
    assert escalation.escalation_run(page)["n"] == 0
    assert not Delivery.objects.filter(purpose="page").exists()
