"""A canary stored in personal and sensitive fields never reaches the database in clear."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from amparo.accounts.services import user_create
from amparo.channels.outbox import outbox_write
from amparo.channels.sandbox.models import SandboxThread
from amparo.channels.sandbox.services import sandbox_reply
from amparo.conftest import send_now

CANARY = "Canario-Zyxwvu-7f3a"
CANARY_NUMBER = "+14135550199"


def _store_canaries(network) -> None:
    user_create(email=f"{CANARY.lower()}@example.org", display_name=f"{CANARY} Name")
    delivery = outbox_write(
        network=network,
        channel="sandbox",
        to=CANARY_NUMBER,
        body=f"alert {CANARY} body",
        purpose="message",
    )
    send_now(delivery)
    thread = SandboxThread.objects.get()
    sandbox_reply(thread=thread, body=f"reply {CANARY}")


def _needles() -> list[bytes]:
    texts = [CANARY, CANARY.lower(), CANARY_NUMBER, CANARY_NUMBER.lstrip("+"), "5550199"]
    return [t.encode("utf-8") for t in texts] + [t.encode("utf-16-le") for t in texts]


def _sql_dump() -> str:
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                parts.append(repr(row))
    return "\n".join(parts)


@pytest.mark.django_db(transaction=True)
def test_canary_is_not_in_the_database_rows(network_a):
    _store_canaries(network_a)
    dump = _sql_dump()
    assert len(dump) > 1000
    for needle in (CANARY, CANARY.lower(), CANARY_NUMBER, "5550199"):
        assert needle not in dump


@pytest.mark.django_db(transaction=True)
def test_canary_is_not_in_the_database_files(network_a):
    _store_canaries(network_a)
    blobs: list[bytes] = []
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(FULL)")
        db = Path(connection.settings_dict["NAME"])
        assert db.exists(), "the SQLite test database must be a file"
        files = [db, Path(f"{db}-wal"), Path(str(settings.HUEY.get("filename", "")))]
        blobs = [f.read_bytes() for f in files if f.is_file()]
    else:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
            cursor.execute(
                "SELECT 'base/' || oid FROM pg_database WHERE datname = current_database()"
            )
            base = cursor.fetchone()[0]
            cursor.execute("SELECT pg_ls_dir(%s)", [base])
            for (name,) in cursor.fetchall():
                cursor.execute("SELECT pg_read_binary_file(%s)", [f"{base}/{name}"])
                blobs.append(bytes(cursor.fetchone()[0]))
    data = b"".join(blobs)
    assert len(data) > 10_000
    # the canary's ciphertext is there, but not its clear text
    for needle in _needles():
        assert needle not in data, needle
    # and the test can fail: public data (the network's name) is found in the same bytes
    assert network_a.name.encode() in data
