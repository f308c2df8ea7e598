"""The sandbox phone calls the hotline: menu, ringing texts, answer, backup, voicemail."""

from __future__ import annotations

import base64

import pytest
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from amparo.channels.models import Delivery
from amparo.conftest import client_for, make_user
from amparo.hotline.models import Call, CallLeg
from amparo.tests.factories import PersonFactory

from . import test_intake as _intake
from .test_intake import RESPONDER_PHONE, on_shift_now

responder_a = _intake.responder_a  # fixtures shared with the intake tests
dispatcher_a = _intake.dispatcher_a

CALLER = "+14135550199"


def begin(client) -> Call:
    response = client.post(reverse("hotline:sandbox_call"), {"number": CALLER})
    assert response.status_code == 302
    return Call.objects.latest("id")


def step(client, call, **data):
    return client.post(reverse("hotline:sandbox_call_step", kwargs={"pk": call.pk}), data)


@pytest.mark.django_db
def test_spanish_call_rings_the_responder_who_answers_into_an_intake(network_a, responder_a):
    client = client_for(responder_a)
    call = begin(client)
    assert call.provider == "sandbox" and call.from_number == CALLER
    page = client.get(reverse("hotline:sandbox_call_step", kwargs={"pk": call.pk})).content
    assert b'data-stage="menu"' in page
    step(client, call, action="digits", digits="2")
    call.refresh_from_db()
    assert call.language == "es"
    ring = Delivery.objects.get(purpose="hotline-ring")
    assert ring.channel == "sandbox" and ring.to_address == RESPONDER_PHONE
    assert f"/hotline/intake/sandbox-call/{call.pk}/" in ring.body
    page = client.get(reverse("hotline:sandbox_call_step", kwargs={"pk": call.pk})).content
    assert b'data-stage="primary"' in page and b'id="call-answer"' in page
    response = step(client, call, action="answer")
    assert response.status_code == 302
    assert response["Location"] == reverse("hotline:intake_start") + f"?call={call.pk}"
    call.refresh_from_db()
    assert call.status == "answered"
    assert call.answered_by is not None and call.answered_by.user == responder_a


@pytest.mark.django_db
def test_nobody_answers_backup_then_voicemail_stored_sealed(
    network_a,
    responder_a,
    dispatcher_a,
):
    backup_user = make_user(network_a, "bea@a.example", ["hotline"], name="Bea", language="en")
    backup = PersonFactory.create(
        network=network_a,
        name=backup_user.display_name,
        phone="+14135550163",
        language="en",
        other_languages=["es"],
        user=backup_user,
    )
    on_shift_now(network_a, backup, "backup")
    client = client_for(responder_a)
    call = begin(client)
    step(client, call, action="digits", digits="2")
    step(client, call, action="unanswered")
    call.refresh_from_db()
    assert call.status == "backup"
    assert Delivery.objects.filter(purpose="hotline-ring", to_index__isnull=False).count() == 2
    assert CallLeg.objects.filter(call=call, status="ringing").count() == 1
    step(client, call, action="unanswered")
    page = client.get(reverse("hotline:sandbox_call_step", kwargs={"pk": call.pk})).content
    assert b'data-stage="voicemail"' in page
    assert step(client, call, action="voicemail", text="").status_code == 200  # required
    step(client, call, action="voicemail", text="Necesito ayuda, llámenme")
    call.refresh_from_db()
    assert call.recording_status == "stored"
    assert base64.b64decode(call.recording).decode() == "Necesito ayuda, llámenme"
    assert call.status == "completed"
    with connection.cursor() as cursor:
        cursor.execute("SELECT recording FROM hotline_call WHERE id = %s", [call.pk])
        raw = cursor.fetchone()[0]
    assert call.recording not in str(bytes(raw) if isinstance(raw, memoryview) else raw)
    # The people on shift and the dispatcher were told at once.
    assert Delivery.objects.filter(purpose="hotline-voicemail").count() >= 2


@pytest.mark.django_db
def test_nobody_on_shift_goes_straight_to_voicemail(network_a, coordinator_a):
    client = client_for(coordinator_a)
    call = begin(client)
    step(client, call, action="digits", digits="1")
    page = client.get(reverse("hotline:sandbox_call_step", kwargs={"pk": call.pk})).content
    assert b'data-stage="voicemail"' in page
    step(client, call, action="hangup")
    call.refresh_from_db()
    assert call.status == "missed"


@pytest.mark.django_db
def test_sandbox_call_access(network_a, volunteer_a, coordinator_a, coordinator_b):
    call = begin(client_for(coordinator_a))
    url = reverse("hotline:sandbox_call_step", kwargs={"pk": call.pk})
    assert client_for(volunteer_a).get(reverse("hotline:sandbox_call")).status_code == 403
    assert client_for(coordinator_b).get(url).status_code == 404
    with override_settings(SANDBOX_ENABLED=False):
        assert client_for(coordinator_a).get(reverse("hotline:sandbox_call")).status_code == 404


@pytest.mark.django_db
def test_a_user_not_on_shift_picks_up_a_ringing_phone_in_the_sandbox(
    network_a, responder_a, coordinator_a
):
    client = client_for(coordinator_a)  # a coordinator, not on shift
    call = begin(client)
    step(client, call, action="digits", digits="2")
    page = client.get(reverse("hotline:sandbox_call_step", kwargs={"pk": call.pk})).content
    assert b'id="call-answer"' in page
    response = step(client, call, action="answer")
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.status == "answered"
    assert call.answered_by is not None and call.answered_by.user == responder_a
