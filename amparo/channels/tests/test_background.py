"""Background work on a real Huey queue and consumer (SQLite file; Redis in CI)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from amparo.channels.models import Delivery
from amparo.channels.outbox import outbox_write
from amparo.channels.sandbox.models import SandboxMessage
from amparo.conftest import wait_for
from amparo.core.sweeper import run_sweeps

pytestmark = [pytest.mark.background]


def test_a_delivery_is_sent_by_a_worker_after_commit(huey_consumer, network_a):
    delivery = outbox_write(
        network=network_a, channel="sandbox", to="+14135550142", body="hi", purpose="message"
    )
    assert wait_for(lambda: Delivery.objects.get(pk=delivery.pk).status == "sent")
    assert SandboxMessage.objects.filter(delivery=delivery).count() == 1


def test_the_sweeper_recovers_what_a_crash_left_behind(huey_consumer, network_a, settings):
    # Saved, but its enqueue was lost (the process died before the commit hook ran).
    delivery = Delivery.objects.create(
        network=network_a,
        channel="sandbox",
        sender="sandbox",
        to_address="+14135550143",
        body="lost",
    )
    an_hour_ago = timezone.now() - timedelta(hours=1)
    crashed = Delivery.objects.create(  # a worker claimed it an hour ago, then died
        network=network_a,
        channel="sandbox",
        sender="sandbox",
        to_address="+14135550144",
        body="claimed",
        due_at=an_hour_ago,
        status="sending",
        claimed_at=an_hour_ago,
        attempts=1,
    )
    counts = run_sweeps()
    assert counts["amparo.channels.tasks.sweep"] == 1  # one sender to drain, for both
    assert wait_for(lambda: set(Delivery.objects.values_list("status", flat=True)) == {"sent"})
    assert SandboxMessage.objects.count() == 2
    assert Delivery.objects.get(pk=delivery.pk).attempts == 1
    assert Delivery.objects.get(pk=crashed.pk).attempts == 2
