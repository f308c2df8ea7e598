"""The panic wipe (docs/backups-and-panic.md, "Panic wipe"): destroy the key material so
nothing sealed in this database can be read again, from it, its copies or its backups.

:func:`panic_wipe` (the ``amparo panic`` command and the coordinator's panic page) sets
every data key to NULL in one transaction (the database first: it needs no key, and it
is what a seizure takes), compacts SQLite, shreds background exports' files, overwrites
and deletes the key files this process can reach, forgets the keys in memory, leaves
the ``DATA_DIR/PANIC`` marker for the other processes and deletes every session. The
start is audited first; nothing may stop the wipe if that fails."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection, transaction

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent
from amparo.lib.crypto import keys
from amparo.lib.crypto.verify import key_owning_models
from amparo.people.models import ExportRequest

KEY_VARIABLES = ("AMPARO_MASTER_KEY", "AMPARO_INDEX_KEY")

log = logging.getLogger(__name__)


def shred_file(path: Path) -> bool:
    """Overwrite a file with random bytes, flush it to disk, and delete it."""
    try:
        size = path.stat().st_size
        with path.open("r+b", buffering=0) as handle:
            handle.write(os.urandom(max(size, 64)))
            os.fsync(handle.fileno())
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def key_files() -> list[Path]:
    found: list[Path] = []
    for variable in ("AMPARO_MASTER_KEY_FILE", "AMPARO_INDEX_KEY_FILE"):
        value = os.environ.get(variable, "").strip()
        if value:
            found.append(Path(value))
    demo = Path(settings.DATA_DIR) / "demo-keys"
    if demo.is_dir():
        found.extend(sorted(p for p in demo.iterdir() if p.is_file()))
    unique: list[Path] = []
    for path in found:
        if path.resolve() not in {p.resolve() for p in unique}:
            unique.append(path)
    return unique


def wipe_data_keys() -> dict[str, int]:
    """Set every wrapped data key to NULL, in one transaction."""
    counts: dict[str, int] = {}
    with transaction.atomic():
        for model in key_owning_models():
            counts[model._meta.label] = model._base_manager.exclude(wrapped_key=None).update(
                wrapped_key=None
            )
        # A background export's file key is not a record's data key: wiped here too, and
        # its state set so that a worker still writing the file deletes it.
        counts[ExportRequest._meta.label] = ExportRequest.objects.exclude(file_key=None).update(
            file_key=None, file_state=ExportRequest.FileState.DELETED
        )
    return counts


def shred_export_files() -> int:
    """Overwrite and delete every sealed export file (amparo/people/export_files.py)."""
    directory = Path(settings.EXPORT_FILES_DIR)
    if not directory.is_dir():
        return 0
    return sum(1 for path in sorted(directory.iterdir()) if path.is_file() and shred_file(path))


@dataclass
class PanicResult:
    data_keys: dict[str, int] = field(default_factory=dict)
    vacuumed: bool = False
    shredded: list[Path] = field(default_factory=list)
    unshredded: list[Path] = field(default_factory=list)  # found but not overwritten
    in_environment: list[str] = field(default_factory=list)  # variables still holding a key
    sessions: int = 0

    @property
    def total(self) -> int:
        return sum(self.data_keys.values())


def audit_panic_start(*, source: str, actor: Any = None, network: Any = None) -> bool:
    """Record that a wipe starts; False (and a log line without personal data) when it cannot.
    Never raises: nothing may stop the wipe (the keys already gone, a locked SQLite file)."""
    try:
        audit_record(
            action=AuditEvent.Action.KEYS,
            actor=actor,
            network=network,
            note=f"panic wipe started from the {source}",
        )
    except Exception as error:  # noqa: BLE001 - any failure: the wipe goes on
        log.critical(
            "panic wipe started from the %s; the audit event could not be recorded (%s)",
            source,
            type(error).__name__,
        )
        return False
    return True


def panic_wipe() -> PanicResult:
    """Destroy every data key, the key files this process can reach, and every session. The
    caller audits first (a wipe that fails half-way must still show who started it)."""
    result = PanicResult(data_keys=wipe_data_keys())
    try:
        shred_export_files()
    except OSError:  # nothing may stop the wipe; the file keys are gone already
        log.critical("panic wipe: an export file could not be overwritten")
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cursor:  # drop the old pages that held the keys
            cursor.execute("VACUUM")
        result.vacuumed = True
    for path in key_files():
        try:
            if shred_file(path):
                result.shredded.append(path)
        except OSError:  # read-only, or not ours: the operator must do it
            result.unshredded.append(path)
    result.in_environment = [v for v in KEY_VARIABLES if os.environ.get(v)]
    marker = keys.panic_marker()
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("panic wipe\n", encoding="utf-8")
    settings.MASTER_KEYS_RAW = ""
    settings.INDEX_KEY_RAW = ""
    keys.reset_cache()
    result.sessions = Session.objects.all().delete()[0]
    # The one record that can still be written (the audit log needs the index key):
    # counts only, never a name, number or path.
    log.critical(
        "panic wipe: %d data keys destroyed, %d key files overwritten, %d sessions revoked; "
        "every page now says the keys are gone and the outbox sends nothing",
        result.total,
        len(result.shredded),
        result.sessions,
    )
    return result
