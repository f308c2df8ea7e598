"""Background work for the hotline: fetching voicemails. Tasks take ids only."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from . import calls


@db_task()
def voicemail_fetch(call_id: int) -> str:
    return calls.voicemail_fetch(call_id=call_id)


def voicemail_sweep() -> int:
    """Called by the core sweeper: retry every voicemail not yet fetched (or deleted)."""
    ids = calls.voicemail_pending_ids()
    for call_id in ids:
        voicemail_fetch(call_id)
    return len(ids)
