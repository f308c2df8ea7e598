"""Background work for Twilio: fetching voicemails, deleting texts and calls at Twilio.
Tasks take ids only."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from amparo.hotline import calls


@db_task()
def voicemail_fetch(call_id: int) -> str:
    return calls.voicemail_fetch(call_id=call_id)


def voicemail_sweep() -> int:
    """Called by the core sweeper: retry every voicemail not yet fetched (or deleted)."""
    ids = calls.voicemail_pending_ids()
    for call_id in ids:
        voicemail_fetch(call_id)
    return len(ids)


@db_task()
def provider_delete(deletion_id: int) -> str:
    from . import cleanup

    return cleanup.run(deletion_id=deletion_id)


def provider_deletion_sweep() -> int:
    """Called by the core sweeper: texts that stayed "sent" and calls that never reported
    their end get a deletion too; every deletion due (or abandoned by a crashed worker)
    is enqueued; old done rows go."""
    from . import cleanup

    cleanup.stale_sent_schedule()
    cleanup.stale_calls_schedule()
    cleanup.forget_done()
    ids = cleanup.due_ids()
    for deletion_id in ids:
        provider_delete(deletion_id)
    return len(ids)
