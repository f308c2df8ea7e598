"""The board leads with what a dispatcher decides on (needed, going, arrived, ETA,
attorneys at the facility, next escalation), folds the list of people asked, says what
the texts are doing instead of "(sending)" for the whole response, and its live feed
carries the words the page shows (issue 12 point 7). The page's script showing those
words after a live update ("nivel 2", not "· 2") is checked in the browser:
tests/e2e/test_board_console_spanish_browser.py."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from amparo.accounts.models import Network, User
from amparo.alerts.models import AlertKind, AlertRecipient, EscalationStep, Facility
from amparo.channels.models import Delivery
from amparo.conftest import client_for

from .test_escalation import squad_alert
from .test_escalation import world as world  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


def _deliveries(alert: Any, statuses: list[str]) -> None:
    recipients = list(AlertRecipient.objects.filter(alert=alert).order_by("pk"))
    for recipient, status in zip(recipients, statuses, strict=False):
        Delivery.objects.create(
            network=alert.network,
            channel="sandbox",
            to_address="+14135550200",
            body="x",
            alert=alert,
            recipient=recipient,
            status=status,
            purpose="alert",
        )


def test_board_leads_with_the_decision_and_folds_the_people(
    network_a: Network, coordinator_a: User, world: dict[str, Any]
) -> None:
    people = world["first"] + world["more"]
    alert = squad_alert(network_a, world["incident"], people, target_going=4)
    first, second, *_rest = AlertRecipient.objects.filter(alert=alert).order_by("pk")
    now = timezone.now()
    AlertRecipient.objects.filter(pk=first.pk).update(
        status="going", eta_minutes=12, answered_at=now, tier=2
    )
    AlertRecipient.objects.filter(pk=second.pk).update(status="arrived", answered_at=now)
    _deliveries(alert, ["sent", "sent", "queued", "queued", "sending"])
    EscalationStep.objects.create(
        alert=alert, position=0, action="widen", due_at=now + timedelta(minutes=6)
    )
    facility = Facility.objects.create(
        network=network_a, name="Fictional Holding Center", latitude=42.1, longitude=-72.6
    )
    legal = squad_alert(
        network_a, world["incident"], world["more"], kind=AlertKind.LEGAL, facility=facility
    )
    AlertRecipient.objects.filter(alert=legal).update(status="going", answered_at=now)
    EscalationStep.objects.create(
        alert=legal, position=0, action="widen", due_at=now + timedelta(minutes=9)
    )
    client = client_for(coordinator_a)
    html = client.get(reverse("alerts:board", kwargs={"incident_pk": world["incident"].pk}))
    body = html.content.decode()
    section = body[body.index(f'id="alert-{alert.pk}"') : body.index(f'id="alert-{legal.pk}"')]
    # the decision first, the people folded below it
    for label in ("needed", "going", "arrived", "ETA", "next escalation"):
        assert f"<dt>{label}</dt>" in section
    assert section.index("next escalation") < section.index("<details")
    assert re.search(
        r"<details[^>]*>\s*<summary>.*?</summary>\s*<ul class=\"board-rows\">", section, re.S
    )
    assert "<details open" not in section
    assert "first in 12 min" in section
    assert re.search(r"\d\d:\d\d \(in [56] minutes\): ask more people</dd>", section)
    # what is true about the texts, never "(sending)" for the whole response
    assert "(sending)" not in body
    assert "texts going out: 2 of 5" in section
    legal_section = body[body.index(f'id="alert-{legal.pk}"') :]
    assert "attorneys at Fictional Holding Center" in legal_section
    assert re.search(r'data-field="attorneys_confirmed">2</span> / 2', legal_section)
    # two attorneys confirmed: the next step will ask nobody, and the board says so
    assert "not needed now: enough are going (checked again at" in legal_section
    # the live feed carries the same words (the page's script shows them as they are)
    Delivery.objects.filter(alert=alert).update(status="sent")
    feed = client.get(reverse("alerts:board_feed", kwargs={"incident_pk": world["incident"].pk}))
    data = {a["id"]: a for a in feed.json()["alerts"]}[alert.pk]
    assert data["figures"]["sending_text"] == "all 5 texts sent"
    assert data["figures"]["state_text"] == "open"
    assert next(r for r in data["rows"] if r["id"] == first.pk)["tier_label"] == "tier 2"
    # while the list is folded the feed decrypts no name: figures only
    folded = client.get(
        reverse("alerts:board_feed", kwargs={"alert_pk": alert.pk}), {"people": "0"}
    ).json()["alerts"][0]
    assert folded["rows"] is None and folded["figures"]["going"] == 1
    spanish = client_for(coordinator_a, language="es").get(
        reverse("alerts:board_feed", kwargs={"alert_pk": alert.pk})
    )
    row = next(r for r in spanish.json()["alerts"][0]["rows"] if r["id"] == first.pk)
    assert (row["tier_label"], row["eta_label"]) == ("nivel 2", "Llega en 12 min")
