"""The call log, a call's page (audited), the voicemail stream and "called back"."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from amparo.accounts.models import AuditEvent
from amparo.conftest import client_for
from amparo.hotline.calls import hotline_figures
from amparo.hotline.models import Call, Callback, CallStatus

pytestmark = pytest.mark.django_db

AUDIO = b"ID3fake-voicemail-audio"
CALLER = "+16175550199"


@pytest.fixture
def voicemail(network_a: Any) -> Call:
    return Call.objects.create(
        network=network_a,
        provider="twilio",
        provider_sid="CA" + "1" * 32,
        from_number=CALLER,
        language="es",
        status=CallStatus.VOICEMAIL,
        recording_sid="RE" + "1" * 32,
        recording=base64.b64encode(AUDIO).decode(),
        recording_status=Call.Recording.STORED,
    )


def test_log_lists_calls_without_numbers(coordinator_a: Any, voicemail: Call) -> None:
    response = client_for(coordinator_a).get("/hotline/calls/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f"/hotline/calls/{voicemail.pk}/" in page
    assert "voicemail waiting for a callback" in page
    assert "5550199" not in page
    waiting = client_for(coordinator_a).get("/hotline/calls/?waiting=1").content.decode()
    assert f"/hotline/calls/{voicemail.pk}/" in waiting


def test_call_page_shows_the_number_and_audits_the_read(
    coordinator_a: Any, voicemail: Call
) -> None:
    page = client_for(coordinator_a).get(f"/hotline/calls/{voicemail.pk}/").content.decode()
    assert "tel:+16175550199" in page
    assert f"/hotline/calls/{voicemail.pk}/voicemail/" in page
    assert AuditEvent.objects.filter(action=AuditEvent.Action.READ, actor=coordinator_a).exists()


def test_voicemail_streams_decrypted_and_uncached(coordinator_a: Any, voicemail: Call) -> None:
    response = client_for(coordinator_a).get(f"/hotline/calls/{voicemail.pk}/voicemail/")
    assert response.status_code == 200
    assert response.content == AUDIO
    assert response["Content-Type"] == "audio/mpeg"
    assert "no-store" in response["Cache-Control"]


def test_no_voicemail_is_404(coordinator_a: Any, network_a: Any) -> None:
    call = Call.objects.create(network=network_a, provider_sid="CA" + "2" * 32)
    assert client_for(coordinator_a).get(f"/hotline/calls/{call.pk}/voicemail/").status_code == 404


def test_other_networks_and_people_without_the_capability(
    coordinator_b: Any, volunteer_a: Any, voicemail: Call
) -> None:
    for url in (f"/hotline/calls/{voicemail.pk}/", f"/hotline/calls/{voicemail.pk}/voicemail/"):
        assert client_for(coordinator_b).get(url).status_code == 404
        assert client_for(volunteer_a).get(url).status_code == 403
    assert client_for(volunteer_a).get("/hotline/calls/").status_code == 403
    assert (
        client_for(coordinator_b).post(f"/hotline/calls/{voicemail.pk}/called-back/").status_code
        == 404
    )


def test_called_back(coordinator_a: Any, voicemail: Call) -> None:
    callback = Callback.objects.create(network=voicemail.network, call=voicemail)
    client = client_for(coordinator_a)
    response = client.post(f"/hotline/calls/{voicemail.pk}/called-back/")
    assert response.status_code == 302
    voicemail.refresh_from_db()
    callback.refresh_from_db()
    assert voicemail.callback_done_at is not None and voicemail.callback_done_by == coordinator_a
    assert callback.done_at is not None
    page = client.get(f"/hotline/calls/{voicemail.pk}/").content.decode()
    assert "I called them back" not in page
    assert client.get("/hotline/calls/called-back/").status_code == 404


def test_hotline_figures(network_a: Any, voicemail: Call) -> None:
    now = timezone.now()
    for i, wait in enumerate([10, 20, 60]):
        Call.objects.create(
            network=network_a,
            provider_sid=f"CA{i:032d}",
            status=CallStatus.COMPLETED,
            started_at=now - timedelta(minutes=5),
            answered_at=now - timedelta(minutes=5) + timedelta(seconds=wait),
        )
    Call.objects.create(network=network_a, provider_sid="CA" + "9" * 32, status=CallStatus.MISSED)
    Call.objects.create(
        network=network_a,
        provider_sid="CA" + "8" * 32,
        status=CallStatus.COMPLETED,
        started_at=now - timedelta(days=3),
        answered_at=now - timedelta(days=3),
    )
    figures = hotline_figures(network=network_a, since=now - timedelta(days=1))
    assert figures.calls == 5  # the voicemail, three answered, one missed
    assert figures.answered == 3
    assert figures.median_seconds_to_answer == 20
    assert figures.voicemails_waiting == 1
