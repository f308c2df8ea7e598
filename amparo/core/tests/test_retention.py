"""Retention: after its period each kind is purged — exactly what is due — and only
counts reach the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from amparo.accounts.models import AuditEvent
from amparo.channels.models import Delivery, InboundMessage
from amparo.channels.sandbox.models import SandboxMessage, SandboxThread
from amparo.core import retention
from amparo.hotline.models import Call, Callback, Conversation, ConversationMessage, Intake

T0 = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)
SECRET = "+14135550777"


def _seed(network):
    inbound = InboundMessage.objects.create(
        network=network, channel="sms", from_address=SECRET, body="hola"
    )
    sent = Delivery.objects.create(
        network=network, channel="sms", to_address=SECRET, body="x", status="sent"
    )
    queued = Delivery.objects.create(network=network, channel="sms", to_address=SECRET, body="q")
    thread = SandboxThread.objects.create(network=network, number=SECRET)
    sandbox = SandboxMessage.objects.create(thread=thread, direction="in", body="hi")
    closed = Conversation.objects.create(network=network, number=SECRET, status="closed")
    ConversationMessage.objects.create(conversation=closed, direction="in", body="help")
    still_open = Conversation.objects.create(network=network, number="+14135550778")
    call = Call.objects.create(
        network=network,
        provider="sandbox",
        provider_sid="r1",
        recording="QUFBQQ==",
        recording_status="stored",
        callback_done_at=T0,
    )
    old_intake = Intake.objects.create(network=network, situation="raid", answers={"where": "x"})
    kept_intake = Intake.objects.create(network=network, situation="raid", answers={"where": "y"})
    Callback.objects.create(network=network, intake=kept_intake, note="call back")
    return locals()


@pytest.mark.django_db
def test_purge_deletes_exactly_what_is_due_and_audits_counts(network_a):
    with time_machine.travel(T0, tick=False):
        rows = _seed(network_a)
    with time_machine.travel(T0 + timedelta(days=29), tick=False):
        out = StringIO()
        call_command("purge", stdout=out)
        assert "total: 0 purged" in out.getvalue()
    with time_machine.travel(T0 + timedelta(days=31), tick=False):
        call_command("purge", stdout=StringIO())
        assert not SandboxMessage.objects.exists()
        assert SandboxThread.objects.exists()
        assert Call.objects.get(pk=rows["call"].pk).recording is None
        assert InboundMessage.objects.exists()
    with time_machine.travel(T0 + timedelta(days=91), tick=False):
        dry = StringIO()
        call_command("purge", "--dry-run", stdout=dry)
        assert "channels.inboundmessage (after 90 days): 1 due" in dry.getvalue()
        assert InboundMessage.objects.exists()
        call_command("purge", stdout=StringIO())
        assert not InboundMessage.objects.exists()
        # the finished one goes; the queued one is still someone's message to send
        assert list(Delivery.objects.values_list("pk", flat=True)) == [rows["queued"].pk]
        assert Conversation.objects.count() == 2
    with time_machine.travel(T0 + timedelta(days=181), tick=False):
        call_command("purge", stdout=StringIO())
        assert list(Conversation.objects.values_list("pk", flat=True)) == [rows["still_open"].pk]
        assert not ConversationMessage.objects.exists()
    with time_machine.travel(T0 + timedelta(days=366), tick=False):
        call_command("purge", stdout=StringIO())
        assert list(Intake.objects.values_list("pk", flat=True)) == [rows["kept_intake"].pk]

    events = AuditEvent.objects.filter(fields__0__startswith="retention:")
    by_kind = {e.fields[0]: e.note for e in events}
    assert by_kind == {
        "retention:sandbox.sandboxmessage": "1",
        "retention:hotline.call.recording": "1",
        "retention:channels.inboundmessage": "1",
        "retention:channels.delivery": "1",
        "retention:hotline.conversation": "1",
        "retention:hotline.intake": "1",
    }
    assert all(SECRET not in e.note for e in events)


@pytest.mark.django_db
def test_periods_are_overridable_and_the_sweep_is_bounded(network_a, settings, monkeypatch):
    settings.RETENTION_DAYS = {"channels.inboundmessage": 5}
    monkeypatch.setattr(retention, "BATCH", 2)
    with time_machine.travel(T0, tick=False):
        for n in range(3):
            InboundMessage.objects.create(
                network=network_a, channel="sms", from_address=SECRET, body=str(n)
            )
    with time_machine.travel(T0 + timedelta(days=6), tick=False):
        assert retention.purge_due() == 2  # one bounded batch per run
        assert retention.purge_due() == 1
        assert retention.purge_due() == 0


@pytest.mark.django_db
def test_printed_letters_are_shredded_no_later_than_their_cases(network_a):
    """A letter names the worker and their A-number under the document's own data key:
    shredding the case left that copy readable forever. A printed document's key is
    destroyed after a case's period; a newer one stays readable."""
    from amparo.documents.models import DocTemplate, GeneratedDocument

    template = DocTemplate.objects.filter(network=network_a).first() or DocTemplate.objects.create(
        network=network_a, slug="x", language="en", title="x", body="x", kind="letter"
    )
    with time_machine.travel(T0, tick=False):
        old = GeneratedDocument.objects.create(
            network=network_a, template=template, version=1, file_format="pdf",
            text="Juan Pérez — A-number: A-201-555-014",
        )  # fmt: skip
    new = GeneratedDocument.objects.create(
        network=network_a, template=template, version=1, file_format="pdf", text="recent"
    )
    with time_machine.travel(T0 + timedelta(days=366), tick=False):
        retention.purge_all()
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.wrapped_key is None and old.template_id == template.pk
    assert new.text == "recent"
