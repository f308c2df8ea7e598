"""REPORT / REPORTE by SMS becomes a report in an incident; the reply is short."""

from __future__ import annotations

import pytest

from amparo.channels import inbound
from amparo.channels.models import InboundMessage
from amparo.hotline.keywords import sms_segments
from amparo.people.services import place_get_or_create
from amparo.reports.models import Report
from amparo.reports.sms import split_keyword


def receive(network, body, channel="sandbox", sender="+14135550123"):
    message = InboundMessage.objects.create(
        network=network, channel=channel, from_address=sender, body=body
    )
    return message, inbound.dispatch(message)


@pytest.mark.parametrize(
    "body,expected",
    [
        ("REPORT agents at plant", ("en", "agents at plant")),
        ("réporte: migra en Holyoke", ("es", "migra en Holyoke")),
        ("Reporte\nICE aquí", ("es", "ICE aquí")),
        ("reportedly fine", None),
        ("HELP", None),
    ],
)
def test_keyword(body, expected):
    assert split_keyword(body) == expected


@pytest.mark.django_db
def test_sms_report_lands_in_an_incident_and_gets_a_short_reply(network_a):
    holyoke = place_get_or_create(
        network=network_a, name="Holyoke", latitude=42.2043, longitude=-72.6162
    )
    message, handled = receive(network_a, "REPORTE migra en la planta de Holyoke <script>")
    assert handled is not None and handled.handler == "reports.sms" and handled.language == "es"
    assert sms_segments(handled.reply) == 1
    report = Report.objects.get()
    assert report.source == "sms" and report.incident_id and report.inbound == message
    assert report.details == {"text": "migra en la planta de Holyoke <script>"}
    assert report.reporter_phone == "+14135550123" and report.place == holyoke


@pytest.mark.django_db
def test_other_texts_and_channels_are_not_reports(network_a):
    receive(network_a, "hola, tengo una pregunta")
    receive(network_a, "REPORT x", channel="email")
    assert not Report.objects.exists()
