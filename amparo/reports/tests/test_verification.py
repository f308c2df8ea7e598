"""Verification: who is asked (nearest trained verifiers, never a reporter), answers by
SMS (Spanish and English) and by magic link, outcomes, tenancy and capability."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from amparo.channels.models import Delivery
from amparo.channels.services import inbound_receive
from amparo.conftest import client_for, make_user
from amparo.people.models import Person, PersonPhone
from amparo.people.reach import reach_refresh
from amparo.people.services import person_opt_out, place_get_or_create
from amparo.reports.models import Incident, VerificationRequest
from amparo.reports.services import ReportInput, alert_allowed, report_submit
from amparo.reports.verification import (
    parse_answer,
    token_hash,
    verification_expire,
    verification_request,
    verifiers_near,
)
from amparo.tests.factories import VerifierFactory

HOLYOKE = {"lat": 42.2043, "lng": -72.6162}
TODAY = timezone.localdate


def town(network, name, lat, lng):
    return place_get_or_create(network=network, name=name, latitude=lat, longitude=lng)


def submit(network, phone="", point=HOLYOKE, **details):
    return report_submit(
        network=network,
        source="web",
        data=ReportInput(
            details={"activity": "agents at the gate", "workplace": "Plant 7", **details},
            point=point,
            reporter_phone=phone,
        ),
    )


@pytest.fixture
def places(network_a):
    return {
        "holyoke": town(network_a, "Holyoke", 42.2043, -72.6162),
        "springfield": town(network_a, "Springfield", 42.1015, -72.5898),
        "northampton": town(network_a, "Northampton", 42.3251, -72.6412),
        "boston": town(network_a, "Boston", 42.3601, -71.0589),
    }


def sms(network, phone, body):
    return inbound_receive(network=network, channel="sandbox", from_address=phone, body=body)


def replies_to(phone):
    return [d.body for d in Delivery.objects.filter(purpose="reply") if d.to_address == phone]


@pytest.mark.django_db
def test_the_nearest_trained_verifiers_are_asked_never_a_reporter(network_a, network_b, places):
    near = VerifierFactory.create(
        network=network_a, name="Near", phone="+14135550201", place=places["holyoke"]
    )
    mid = VerifierFactory.create(
        network=network_a, name="Mid", phone="+14135550202", place=places["springfield"]
    )
    far = VerifierFactory.create(
        network=network_a,
        name="Far",
        phone="+14135550203",
        place=places["northampton"],
        language="en",
    )
    # out of range
    VerifierFactory.create(
        network=network_a, name="Boston", phone="+14135550204", place=places["boston"]
    )
    VerifierFactory.create(
        network=network_a,
        name="Untrained",
        phone="+14135550205",
        place=places["holyoke"],
        trained=False,
    )
    VerifierFactory.create(
        network=network_a,
        name="No role",
        phone="+14135550206",
        place=places["holyoke"],
        roles=[],
        trainings=[("verifier", TODAY())],
    )
    VerifierFactory.create(
        network=network_a,
        name="Opted out",
        phone="+14135550207",
        place=places["holyoke"],
        opted_out_at=timezone.now(),
    )
    other = town(network_b, "Holyoke", 42.2043, -72.6162)
    VerifierFactory.create(
        network=network_b, name="Other network", phone="+14135550208", place=other
    )
    reporter = VerifierFactory.create(
        network=network_a, name="Reporter", phone="+14135550209", place=places["holyoke"]
    )
    incident = submit(network_a, phone="+14135550209").incident

    result = verification_request(incident=incident, actor=None, count=5, within_km=30)

    asked = [r.verifier for r in result.requests]
    assert asked == [near, mid, far]  # nearest first; the rest excluded
    assert reporter not in asked
    incident.refresh_from_db()
    assert incident.status == "verifying"
    # texts in each verifier's language, with the workplace name (no numbers), the town,
    # the link and the code — never the report's words ("agents at the gate")
    texts = {d.to_address: d.body for d in Delivery.objects.filter(purpose="verify")}
    request = result.requests[0]
    es = texts["+14135550201"]
    assert "Plant" in es and "Holyoke" in es and request.code in es
    assert "Plant 7" not in es and "gate" not in es
    assert "CONFIRMADO" in es and "NO SÉ" in es and "/incidents/verify/v/net-a/" in es
    assert "CONFIRMED" in texts["+14135550203"] and "UNSURE" in texts["+14135550203"]
    # only the token's keyed hash is stored
    token = result.tokens[request.pk]
    assert token not in request.token_hash and request.token_hash == token_hash(token)


@pytest.mark.django_db
def test_an_expired_training_does_not_count(network_a, places):
    VerifierFactory.create(
        network=network_a, name="Old", phone="+14135550210", place=places["holyoke"]
    )
    incident = submit(network_a).incident
    with time_machine.travel(timezone.now() + timedelta(days=400)):
        result = verification_request(incident=incident)
    assert not result.found and "verifier" in result.message
    incident.refresh_from_db()
    assert incident.status == "unverified"  # no status change


@pytest.mark.django_db
def test_only_verifiers_a_text_reaches_are_asked(network_a, places):
    """Reachable by text is the flag kept on the person (people/reach.py): a live number
    that takes texts, texts not opted out — not merely a phone row."""
    ok = VerifierFactory.create(network=network_a, phone="+14135550220", place=places["holyoke"])
    dead = VerifierFactory.create(network=network_a, phone="+14135550221", place=places["holyoke"])
    PersonPhone.objects.filter(person=dead).update(dead_at=timezone.now())
    reach_refresh([dead.pk])  # as any write of a phone does
    no_texts = VerifierFactory.create(
        network=network_a, phone="+14135550222", place=places["holyoke"]
    )
    person_opt_out(person=no_texts, channel="sms")
    incident = submit(network_a, phone="+14135550299").incident
    assert verifiers_near(incident=incident, limit=5) == [ok]


@pytest.mark.django_db
def test_no_verifier_found_is_a_clear_result_and_no_status_change(network_a):
    incident = submit(network_a).incident
    result = verification_request(incident=incident)
    assert not result.found and result.message
    assert Incident.objects.get(pk=incident.pk).status == "unverified"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("CONFIRMADO 4821 tres camionetas", ("confirmed", "4821", "tres camionetas")),
        ("confirmed 4821", ("confirmed", "4821", "")),
        ("No 4821", ("not_confirmed", "4821", "")),
        ("NO SÉ 4821 no pude entrar", ("unsure", "4821", "no pude entrar")),
        ("no se", ("unsure", "", "")),
        ("Unsure #4821", ("unsure", "4821", "")),
        ("Confirmado, hay dos patrullas", ("confirmed", "", "hay dos patrullas")),
        ("hello", None),
    ],
)
def test_answers_parse_accent_and_case_folded(text, expected):
    assert parse_answer(text) == expected


@pytest.mark.django_db
def test_a_spanish_sms_confirmation_confirms_and_unlocks_alerts(network_a, places):
    vera = VerifierFactory.create(
        network=network_a, name="Vera", phone="+14135550211", place=places["holyoke"]
    )
    incident = submit(network_a, phone="+14135550299").incident
    result = verification_request(incident=incident, count=1)
    code = result.requests[0].code
    message = sms(network_a, "+14135550211", f"Confirmado {code} tres camionetas de ICE")
    assert message.handled_by == "reports.verify"
    incident.refresh_from_db()
    assert incident.status == "confirmed" and incident.confirmed_by == vera
    assert alert_allowed(incident)
    request = VerificationRequest.objects.get(pk=result.requests[0].pk)
    assert request.answer == "confirmed" and request.note == "tres camionetas de ICE"
    assert replies_to("+14135550211")


@pytest.mark.django_db
def test_an_english_no_makes_a_false_alarm_with_a_public_note(network_a, places):
    VerifierFactory.create(
        network=network_a, name="Nora", phone="+14135550212", place=places["holyoke"], language="en"
    )
    incident = submit(network_a).incident
    verification_request(incident=incident, count=1)
    sms(network_a, "+14135550212", "NO nothing there")  # one open request: no code needed
    incident.refresh_from_db()
    assert incident.status == "false_alarm"
    local = timezone.localtime(incident.public_note_at, network_a.zone()).strftime("%H:%M")
    assert local in incident.public_note
    assert not alert_allowed(incident)


@pytest.mark.django_db
def test_every_verifier_unsure_or_expired_makes_it_unconfirmed(network_a, places):
    VerifierFactory.create(
        network=network_a, name="Uno", phone="+14135550213", place=places["holyoke"]
    )
    VerifierFactory.create(
        network=network_a,
        name="Dos",
        phone="+14135550214",
        place=places["springfield"],
        language="en",
    )
    incident = submit(network_a).incident
    result = verification_request(incident=incident, count=2)
    sms(network_a, "+14135550213", f"NO SÉ {result.requests[0].code}")
    assert Incident.objects.get(pk=incident.pk).status == "verifying"  # one still out
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        assert verification_expire() == 1
    assert Incident.objects.get(pk=incident.pk).status == "unconfirmed"


@pytest.mark.django_db
def test_a_reporter_cannot_verify_their_own_report_by_sms_or_link(network_a, places):
    vera = VerifierFactory.create(
        network=network_a, name="Vera", phone="+14135550215", place=places["holyoke"]
    )
    incident = submit(network_a, phone="+14135550298").incident
    result = verification_request(incident=incident, count=1)
    request = result.requests[0]
    # after being asked, Vera reports the same incident from her own phone
    assert submit(network_a, phone="+14135550215").incident_id == incident.pk
    sms(network_a, "+14135550215", f"CONFIRMADO {request.code}")
    incident.refresh_from_db()
    assert incident.status == "verifying" and incident.confirmed_by is None
    [reply] = replies_to("+14135550215")
    assert "otra persona verificadora debe revisarlo" in reply
    url = reverse("reports:verify_link", args=["net-a", result.tokens[request.pk]])
    from django.test import Client

    response = Client().post(url, {"answer": "confirmed"})
    assert response.status_code == 200
    incident.refresh_from_db()
    assert incident.status == "verifying" and not alert_allowed(incident)
    assert VerificationRequest.objects.get(pk=request.pk).answered_at is None
    assert vera.pk not in set(Incident.objects.values_list("confirmed_by", flat=True))


@pytest.mark.django_db
def test_a_plain_no_from_someone_never_asked_is_left_to_other_handlers(network_a, places):
    VerifierFactory.create(
        network=network_a, name="Vera", phone="+14135550216", place=places["holyoke"]
    )
    message = sms(network_a, "+14135550216", "no")
    assert message.handled_by != "reports.verify"


def _jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


@pytest.mark.django_db
def test_the_magic_link_valid_used_expired_and_wrong_network(network_a, network_b, places, client):
    VerifierFactory.create(
        network=network_a, name="Vera", phone="+14135550217", place=places["holyoke"]
    )
    VerifierFactory.create(
        network=network_a, name="Vic", phone="+14135550218", place=places["springfield"]
    )
    incident = submit(network_a, workplace="<script>alert(1)</script>").incident
    result = verification_request(incident=incident, count=2)
    first, second = result.requests
    url = reverse("reports:verify_link", args=["net-a", result.tokens[first.pk]])
    page = client.get(url)
    assert page.status_code == 200
    assert (
        "&lt;script&gt;" in page.content.decode() and "<script>alert" not in page.content.decode()
    )
    assert 'lang="es"' in page.content.decode()
    # wrong network in the path, unknown token: 404
    assert (
        client.get(
            reverse("reports:verify_link", args=["net-b", result.tokens[first.pk]])
        ).status_code
        == 404
    )
    assert client.get(reverse("reports:verify_link", args=["net-a", "nope"])).status_code == 404
    photo = io.BytesIO(_jpeg_with_exif())
    photo.name = "p.jpg"
    response = client.post(url, {"answer": "confirmed", "note": "dos vans", "photo": photo})
    assert response.status_code == 200 and b"verify-done" in response.content
    incident.refresh_from_db()
    assert incident.status == "confirmed"
    saved = VerificationRequest.objects.get(pk=first.pk)
    import base64

    cleaned = Image.open(io.BytesIO(base64.b64decode(saved.photo)))
    assert not cleaned.getexif()
    # used: a second answer is refused with a clear message
    again = client.post(url, {"answer": "not_confirmed"})
    assert again.status_code == 410 and b"verify-closed" in again.content
    # expired
    url2 = reverse("reports:verify_link", args=["net-a", result.tokens[second.pk]])
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        expired = client.get(url2)
    assert b"verify-closed" in expired.content


@pytest.mark.django_db
def test_requesting_verification_tenancy_and_capability(
    network_a, network_b, coordinator_b, volunteer_a, places
):
    VerifierFactory.create(
        network=network_a, name="Vera", phone="+14135550219", place=places["holyoke"]
    )
    incident = submit(network_a).incident
    url = reverse("reports:verify_request", args=[incident.pk])
    assert client_for(coordinator_b).post(url).status_code == 404
    assert client_for(volunteer_a).post(url).status_code == 403
    dispatcher = make_user(network_a, "dee@a.example", ["dispatcher"])
    response = client_for(dispatcher).post(url, {"count": 2, "within_km": 20})
    assert response.status_code == 200
    assert Incident.objects.get(pk=incident.pk).status == "verifying"
    assert VerificationRequest.objects.filter(incident=incident).count() == 1
    assert Person.objects.filter(network=network_b).count() == 0
