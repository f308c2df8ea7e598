"""Answers: SMS words and numbers, one acknowledgement per person, arrived is final,
chasing stops, fall-through without an open alert, and the public magic link."""

from __future__ import annotations

import pytest
from django.test import Client

from amparo.alerts.answers import answer_record, parse_reply
from amparo.alerts.models import AlertKind, AlertRecipient
from amparo.alerts.services import alert_create, alert_launch
from amparo.channels.models import Delivery
from amparo.channels.services import inbound_receive
from amparo.tests.factories import ResponderFactory

from .test_planning import area, confirmed_incident  # noqa: F401

R = AlertRecipient.Status


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", (R.GOING, None)),
        ("Sí", (R.GOING, None)),
        ("si voy 20", (R.GOING, 20)),
        ("VOY", (R.GOING, None)),
        ("yes", (R.GOING, None)),
        ("15", (R.GOING, 15)),
        ("2", (R.NOT_GOING, None)),
        ("no", (R.NOT_GOING, None)),
        ("Llegué!", (R.ARRIVED, None)),
        ("arrived", (R.ARRIVED, None)),
        ("999", None),
        ("hello", None),
        ("", None),
    ],
)
def test_parse_reply(text, expected) -> None:
    assert parse_reply(text) == expected


def _launched(network, area, coordinator, n=2):  # noqa: F811
    people = [
        ResponderFactory.create(network=network, place=area["holyoke"], available_now=True)
        for _ in range(n)
    ]
    alert = alert_create(
        network=network, kind=AlertKind.SQUAD, incident=confirmed_incident(network)
    )
    return alert_launch(alert=alert, actor=coordinator), people


def _phone(p) -> str:
    return str(p.phones.first().number)


def test_sms_answers_update_one_acknowledgement(network_a, area, coordinator_a) -> None:  # noqa: F811
    alert, (one, two) = _launched(network_a, area, coordinator_a)
    message = inbound_receive(
        network=network_a, channel="sandbox", from_address=_phone(one), body="15"
    )
    assert message.handled_by == "alerts.answer"
    r = AlertRecipient.objects.get(alert=alert, person=one)
    assert (r.status, r.eta_minutes, r.answered_via) == (R.GOING, 15, "sandbox")
    inbound_receive(network=network_a, channel="sandbox", from_address=_phone(one), body="2")
    r.refresh_from_db()
    assert r.status == R.NOT_GOING and r.eta_minutes is None  # a change of mind counts
    inbound_receive(network=network_a, channel="sandbox", from_address=_phone(one), body="llegue")
    inbound_receive(network=network_a, channel="sandbox", from_address=_phone(one), body="NO")
    r.refresh_from_db()
    assert r.status == R.ARRIVED and r.arrived_at  # arrived is final
    assert AlertRecipient.objects.filter(alert=alert, person=one).count() == 1
    replies = [
        d.body for d in Delivery.objects.filter(purpose="reply") if d.to_address == _phone(one)
    ]
    assert replies and "anotamos que va" in replies[0]  # in the responder's Spanish
    other = AlertRecipient.objects.get(alert=alert, person=two)
    assert other.status == R.PENDING


def test_answer_stops_the_chasing(network_a, area, coordinator_a) -> None:  # noqa: F811
    alert, (one, _two) = _launched(network_a, area, coordinator_a)
    r = AlertRecipient.objects.get(alert=alert, person=one)
    Delivery.objects.filter(recipient=r).update(status=Delivery.Status.QUEUED, sent_at=None)
    answer_record(recipient=r, answer=R.GOING, via="voice")
    assert not Delivery.objects.filter(recipient=r, status=Delivery.Status.QUEUED).exists()


def test_no_open_alert_falls_through(network_a, area) -> None:  # noqa: F811
    stranger = ResponderFactory.create(network=network_a, place=area["holyoke"], available_now=True)
    message = inbound_receive(
        network=network_a, channel="sandbox", from_address=_phone(stranger), body="1"
    )
    assert message.handled_by != "alerts.answer"


def test_magic_link(network_a, area, coordinator_a, monkeypatch) -> None:  # noqa: F811
    import amparo.alerts.services as services

    tokens: list[str] = []
    real = services.answer_link

    def spy(token: str) -> str:
        tokens.append(token)
        return real(token)

    monkeypatch.setattr(services, "answer_link", spy)
    alert, (one, two) = _launched(network_a, area, coordinator_a)
    client = Client()
    assert client.get("/a/not-a-token/").status_code == 404
    page = client.get(f"/a/{tokens[0]}/")
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    # the page speaks the responder's language (Spanish here)
    assert "openstreetmap.org" in page.content.decode() and "0 van" in page.content.decode()
    page = client.post(f"/a/{tokens[0]}/", {"answer": "going", "eta": "12"})
    assert page.status_code == 200 and "1 va" in page.content.decode()
    r = AlertRecipient.objects.get(token_hash=services.token_hash(tokens[0]))
    assert (r.status, r.eta_minutes, r.answered_via) == (R.GOING, 12, "link")
    alert.status = alert.Status.DONE
    alert.save()
    assert client.post(f"/a/{tokens[1]}/", {"answer": "going"}).status_code == 410
    # once over, the link no longer shows where the raid was
    ended = client.get(f"/a/{tokens[1]}/")
    assert ended.status_code == 410 and "openstreetmap.org" not in ended.content.decode()
