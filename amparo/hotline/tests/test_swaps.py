"""Swaps without the coordinator: a responder asks for cover, eligible responders are
texted, the first "TAKE 4821" / "TOMAR 4821" on the sandbox phone takes the shift, later
replies hear it is taken; the web works too. Reminders go out once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from amparo.channels.models import Delivery
from amparo.channels.outbox import outbox_drain
from amparo.channels.sandbox.services import sandbox_reply, thread_for
from amparo.conftest import client_for, make_user
from amparo.hotline.models import ShiftAssignment, SwapRequest
from amparo.hotline.shifts.coverage import on_now
from amparo.hotline.shifts.reminders import shift_reminders_due
from amparo.hotline.shifts.swaps import (
    INBOUND_HANDLER,
    SwapRefused,
    parse_take,
    swap_request_create,
    swap_take,
)
from amparo.hotline.tests.test_shifts import make_shift
from amparo.tests.factories import PersonFactory

ANA = "+14135550110"
BETO = "+14135550111"
CARLA = "+14135550112"
DAN = "+14135550113"


@pytest.fixture
def team(network_a):
    user = make_user(network_a, "ana@a.example", ["hotline"], language="es")
    ana = PersonFactory.create(
        network=network_a, name="Ana", roles=["hotline"], phone=ANA, user=user
    )
    beto = PersonFactory.create(
        network=network_a, name="Beto", other_languages=["en"], roles=["hotline"], phone=BETO
    )
    carla = PersonFactory.create(network=network_a, name="Carla", roles=["hotline"], phone=CARLA)
    dan = PersonFactory.create(
        network=network_a, name="Dan", language="en", roles=["hotline"], phone=DAN
    )  # no Spanish: not asked
    eva = PersonFactory.create(
        network=network_a, name="Eva", roles=["hotline"], phone="+14135550114"
    )
    eva.opted_out_at = timezone.now()
    eva.save()
    shift = make_shift(
        network_a, timezone.now() + timedelta(days=1), people=[ana], languages=["es"]
    )
    return {
        "user": user,
        "ana": ana,
        "beto": beto,
        "carla": carla,
        "dan": dan,
        "eva": eva,
        "shift": shift,
        "assignment": shift.assignments.get(),
    }


def _to(number, purpose):
    """Deliveries to ``number`` (addresses are sealed: compared in Python)."""
    return [d for d in Delivery.objects.filter(purpose=purpose) if d.to_address == number]


def _send_queued():
    for sender in set(Delivery.objects.filter(status="queued").values_list("sender", flat=True)):
        outbox_drain(sender=sender)


def test_a_swap_done_by_sms_on_the_sandbox_phone_moves_the_shift(network_a, team):
    client = client_for(team["user"])
    response = client.post(reverse("hotline:swap_request", kwargs={"pk": team["assignment"].pk}))
    assert response.status_code == 302
    swap = SwapRequest.objects.get()
    assert swap.status == "open" and swap.code.isdigit() and len(swap.code) == 4
    asked = Delivery.objects.filter(purpose="shift-swap")
    assert sorted(d.to_address for d in asked) == [BETO, CARLA]
    beto_text = _to(BETO, "shift-swap")[0].body
    assert f"TOMAR {swap.code}" in beto_text  # Beto speaks Spanish first
    assert _to(BETO, "shift-swap")[0].language == "es"
    _send_queued()

    received = sandbox_reply(
        thread=thread_for(network=network_a, number=BETO), body=f"tomar {swap.code}"
    )
    assert received.handled_by == INBOUND_HANDLER
    team["assignment"].refresh_from_db()
    assert team["assignment"].person_id == team["beto"].pk
    swap.refresh_from_db()
    assert swap.status == "taken" and swap.taken_by_id == team["beto"].pk and swap.resolved_at
    # both told by SMS: the reply to Beto and a text to Ana
    assert len(_to(BETO, "reply")) == 1
    assert len(_to(ANA, "shift-swap")) == 1

    # a later reply: "already taken", nothing moves
    late = sandbox_reply(
        thread=thread_for(network=network_a, number=CARLA), body=f"TAKE {swap.code}"
    )
    assert late.handled_by == INBOUND_HANDLER
    reply = _to(CARLA, "reply")[0]
    assert reply.body == "Network A: Alguien ya tomó este turno."  # Carla speaks Spanish
    team["assignment"].refresh_from_db()
    assert team["assignment"].person_id == team["beto"].pk
    assert on_now(network=network_a, at=team["shift"].starts_at).primary == [team["beto"]]


def test_two_takers_cannot_both_win(team):
    swap, _texted = swap_request_create(assignment=team["assignment"], person=team["ana"])
    stale = SwapRequest.objects.get(pk=swap.pk)
    swap_take(swap=swap, person=team["beto"])
    with pytest.raises(SwapRefused) as refused:
        swap_take(swap=stale, person=team["carla"])  # loaded while it was still open
    assert refused.value.taken
    assert ShiftAssignment.objects.get(pk=team["assignment"].pk).person_id == team["beto"].pk
    assert not ShiftAssignment.objects.filter(person=team["carla"]).exists()


def test_ineligible_takers_and_unknown_codes_change_nothing(network_a, team):
    swap, _ = swap_request_create(assignment=team["assignment"], person=team["ana"])
    with pytest.raises(SwapRefused):
        swap_take(swap=swap, person=team["dan"])  # no Spanish
    with pytest.raises(SwapRefused):
        swap_take(swap=swap, person=team["ana"])  # her own
    msg = sandbox_reply(thread=thread_for(network=network_a, number=DAN), body=f"TAKE {swap.code}")
    assert msg.handled_by == INBOUND_HANDLER
    unknown_code = "1" if swap.code != "1111" else "2"
    sandbox_reply(
        thread=thread_for(network=network_a, number=BETO), body=f"TAKE {unknown_code * 4}"
    )
    stranger = sandbox_reply(
        thread=thread_for(network=network_a, number="+14135550199"), body=f"TAKE {swap.code}"
    )
    assert stranger.handled_by == INBOUND_HANDLER
    swap.refresh_from_db()
    assert swap.status == "open"
    assert ShiftAssignment.objects.get(pk=team["assignment"].pk).person_id == team["ana"].pk
    # plain text is not ours
    other = sandbox_reply(thread=thread_for(network=network_a, number=BETO), body="hello")
    assert other.handled_by != INBOUND_HANDLER


def test_a_code_from_another_network_takes_nothing(network_a, network_b, team):
    swap, _ = swap_request_create(assignment=team["assignment"], person=team["ana"])
    PersonFactory.create(network=network_b, name="Beto B", roles=["hotline"], phone=BETO)
    sandbox_reply(thread=thread_for(network=network_b, number=BETO), body=f"TAKE {swap.code}")
    swap.refresh_from_db()
    assert swap.status == "open"


def test_a_swap_for_someone_elses_shift_is_refused(network_a, team):
    beto_user = make_user(network_a, "beto@a.example", ["hotline"])
    team["beto"].user = beto_user
    team["beto"].save()
    client = client_for(beto_user)
    response = client.post(
        reverse("hotline:swap_request", kwargs={"pk": team["assignment"].pk}), follow=True
    )
    assert "only ask for cover for your own shift" in response.content.decode()
    assert not SwapRequest.objects.exists()
    assert not Delivery.objects.exists()


def test_taking_on_the_web_and_tenancy(network_a, coordinator_b, team):
    swap, _ = swap_request_create(assignment=team["assignment"], person=team["ana"])
    url = reverse("hotline:swap", kwargs={"pk": swap.pk})
    other = client_for(coordinator_b)
    assert other.get(url).status_code == 404
    assert other.post(url).status_code == 404
    assert other.post(reverse("hotline:swap_cancel", kwargs={"pk": swap.pk})).status_code == 404
    carla_user = make_user(network_a, "carla@a.example", ["hotline"])
    team["carla"].user = carla_user
    team["carla"].save()
    web = client_for(carla_user)
    page = web.get(url)
    assert page.status_code == 200 and "Take this shift" in page.content.decode()
    assert "Shifts you could cover" in web.get(reverse("hotline:mine")).content.decode()
    assert web.post(url).status_code == 302
    assert ShiftAssignment.objects.get(pk=team["assignment"].pk).person_id == team["carla"].pk
    assert _to(CARLA, "shift-swap")


def test_the_requester_can_cancel(team):
    swap, _ = swap_request_create(assignment=team["assignment"], person=team["ana"])
    client = client_for(team["user"])
    client.post(reverse("hotline:swap_cancel", kwargs={"pk": swap.pk}))
    swap.refresh_from_db()
    assert swap.status == "cancelled"
    with pytest.raises(SwapRefused):
        swap_take(swap=swap, person=team["beto"])


def test_parse_take():
    assert parse_take("TAKE 4821") == "4821"
    assert parse_take(" Tomar #4821. ") == "4821"
    assert parse_take("tomo 4821") == "4821"
    assert parse_take("take") == ""
    assert parse_take("please take 4821") == ""


# --- reminders -----------------------------------------------------------------------


def test_reminders_go_out_once_within_the_window(network_a, team):
    shift_start = team["shift"].starts_at
    assert shift_reminders_due() == 0  # 24 h ahead: not yet
    with time_machine.travel(shift_start - timedelta(hours=11)):
        assert shift_reminders_due() == 1
        assert shift_reminders_due() == 0  # never twice
    reminder = Delivery.objects.get(purpose="shift-reminder")
    assert reminder.to_address == ANA and reminder.language == "es"
    team["assignment"].refresh_from_db()
    assert team["assignment"].reminded_at is not None
    with time_machine.travel(shift_start + timedelta(minutes=1)):
        assert shift_reminders_due() == 0  # started: too late
