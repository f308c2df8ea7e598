"""Issue 15.6: fifty texts of REPORTE from one number made fifty reports and fifty
replies. Now a number stores a bounded number of reports per window (a stranger's
``REPORT_SOURCE_ROWS``, a member's ``REPORT_KNOWN_SOURCE_ROWS``), the rest is added to
its last report (every word kept up to a cap on the added text, past which the rest
is only counted, and the report says how many), and it gets at most
``REPORT_TEXT_REPLIES`` answers per window. The number is never stored in clear."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from amparo.channels.models import Delivery, InboundMessage
from amparo.channels.services import inbound_receive
from amparo.people.models import RateBucket
from amparo.reports.models import Report
from amparo.tests.factories import PersonFactory

STRANGER = "+14135550172"
MEMBER = "+14135550173"


def sms(network, sender, body):
    return inbound_receive(network=network, channel="sandbox", from_address=sender, body=body)


def words_kept(network) -> str:
    """Everything the reports of ``network`` hold of what was typed."""
    parts = []
    for report in Report.objects.filter(network=network):
        parts.append(str(report.details.get("text", "")))
        parts += [str(m.get("text", "")) for m in report.details.get("more", [])]
    return " ".join(parts)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["stranger", "member", "not a phone number"])
def test_fifty_reporte_texts_from_one_number_are_bounded_and_keep_every_word(network_a, who):
    sender = STRANGER
    if who == "not a phone number":  # review of issue 15: such a sender had no limit
        sender = "sandbox-user-7"
    if who == "member":
        sender = MEMBER
        PersonFactory.create(network=network_a, phone=MEMBER, roles=["member"])
    with time_machine.travel(timezone.now().replace(minute=1), tick=False) as clock:
        for i in range(50):
            sms(network_a, sender, f"REPORTE migra en la planta palabra{i}x")
            clock.shift(timedelta(seconds=5))
        rows = Report.objects.filter(network=network_a, source="sms").count()
        replies = Delivery.objects.filter(network=network_a, purpose="reply").count()
        assert 1 <= rows <= (20 if who == "member" else 3)
        assert replies == 1  # one answer per window, not fifty
        said = words_kept(network_a)
        # every word kept: 50 short texts are well within the cap on added text
        assert all(f"palabra{i}x" in said for i in range(50))
        assert InboundMessage.objects.filter(network=network_a).count() == 50
        # the window over, the number is answered again (once)
        clock.shift(timedelta(hours=1))
        sms(network_a, sender, "REPORTE otra vez")
        sms(network_a, sender, "REPORTE y otra")
        assert Delivery.objects.filter(network=network_a, purpose="reply").count() == 2
    # the counters hold keyed hashes only, never the number
    digits = sender.lstrip("+")
    for row in RateBucket.objects.values_list("key_hash", flat=True):
        assert digits not in row and "5550" not in row
    for tag in Report.objects.exclude(source_tag=None).values_list("source_tag", flat=True):
        assert digits not in tag


@pytest.mark.django_db
def test_a_members_number_too_stores_bounded_rows_and_bounded_text(network_a, settings):
    """A member's number is known (never capped by the network's REPORT_PUBLIC_CAP), but a
    stolen or spoofed one must not fill the console either."""
    settings.REPORT_APPEND_MAX_CHARS = 2000
    settings.REPORT_KNOWN_SOURCE_ROWS = 5
    PersonFactory.create(network=network_a, phone=MEMBER, roles=["member"])
    for i in range(60):
        sms(network_a, MEMBER, f"REPORTE {i} " + "y" * 150)
    rows = list(Report.objects.filter(network=network_a))
    assert len(rows) == 5 and all(r.known for r in rows)
    stored = sum(len(json.dumps(r.details.get("more", []))) for r in rows)
    assert stored <= 2000 + 200
    assert max(int(r.details.get("more_dropped") or 0) for r in rows) > 0  # counted, not kept
