"""Live work goes first on a busy number: a verification request and a squad call-out
launched while a 2,000-person member alert drains at 1 text a second are the number's
very next claims, before any further member text (the claim order, not wall time)."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from amparo.alerts.models import AlertKind
from amparo.alerts.outbox import alert_rows_write
from amparo.alerts.services import alert_create, alert_launch
from amparo.alerts.tests.test_outbox import make_alert, make_people
from amparo.alerts.tests.test_planning import area, confirmed_incident  # noqa: F401
from amparo.channels.models import Delivery
from amparo.channels.outbox import claim_next, outbox_send
from amparo.reports.tests.test_verification import submit
from amparo.reports.verification import verification_request
from amparo.tests.factories import ResponderFactory, VerifierFactory

SENDER = "sandbox"  # the one number every text of this network goes out on


def test_a_verification_and_a_call_out_overtake_a_member_alert_on_the_same_number(
    network_a,
    area,  # noqa: F811
    settings,
) -> None:
    settings.ALERT_RATE_PER_SECOND = {SENDER: 1}
    with time_machine.travel(timezone.now(), tick=False) as clock:
        members = make_people(network_a, 2000)
        bulk, rows = make_alert(network_a, members, tiers=3, kind=AlertKind.MEMBERS)
        assert alert_rows_write(alert=bulk, rows=rows) == 2000

        def next_claim() -> Delivery:  # the number's next send slot, a second later
            clock.shift(timedelta(seconds=1))
            claim = claim_next(SENDER)
            assert claim is not None and claim.slot <= timezone.now()
            return Delivery.objects.get(pk=claim.delivery_id)

        for _ in range(5):  # the member alert is going out, one text a second
            sent = next_claim()
            assert sent.alert_id == bulk.pk
            assert outbox_send(delivery_id=sent.pk) == Delivery.Status.SENT

        # Meanwhile: a report to verify, and a squad call-out for another incident.
        for n in range(2):
            VerifierFactory.create(
                network=network_a,
                name=f"Verifier {n}",
                phone=f"+1413555030{n}",
                place=area["holyoke"],
            )
        verify = verification_request(incident=submit(network_a).incident, count=2)
        assert len(verify.requests) == 2
        for _ in range(3):
            ResponderFactory.create(network=network_a, place=area["holyoke"], available_now=True)
        squad = alert_create(
            network=network_a, kind=AlertKind.SQUAD, incident=confirmed_incident(network_a)
        )
        squad = alert_launch(alert=squad)
        live = set(Delivery.objects.filter(purpose="verify").values_list("pk", flat=True)) | set(
            Delivery.objects.filter(alert=squad).values_list("pk", flat=True)
        )
        assert len(live) == 5
        assert set(Delivery.objects.values_list("sender", flat=True)) == {SENDER}

        claimed = []
        for _ in range(len(live)):  # each sent as its drain would (a later tier waits)
            claimed.append(next_claim())
            outbox_send(delivery_id=claimed[-1].pk)
        assert {d.pk for d in claimed} == live  # theirs, every one, before any member text
        assert next_claim().alert_id == bulk.pk  # then the member alert goes on
        assert Delivery.objects.filter(alert=bulk).exclude(status="queued").count() == 6
