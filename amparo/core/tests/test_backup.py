"""Backups: encrypted to a public key, restorable into a fresh database, opaque on disk."""

from __future__ import annotations

import contextlib
import io
import os
import re
from datetime import UTC, datetime
from io import StringIO
from typing import Any
from urllib.parse import quote

import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.management import CommandError, call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from amparo.accounts.audit import audit_record
from amparo.accounts.chain import chain_verify
from amparo.accounts.models import AuditEvent, Membership, User
from amparo.channels.models import Delivery
from amparo.core import backup
from amparo.core.backup import BackupError, backup_models
from amparo.core.tests.test_pages import _amparo
from amparo.people.models import Person
from amparo.people.services import PersonData, person_upsert

NAME = "Marisol Quintero"
PHONE = "+14135550301"


@pytest.fixture(scope="module")
def keypair(tmp_path_factory):
    # 3072 bits: the smallest the loader accepts, and quicker to make than 4096.
    directory = tmp_path_factory.mktemp("backup-keys")
    private = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    other = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    return private, other, directory


def _pem_files(directory, private):
    from cryptography.hazmat.primitives import serialization

    public = directory / "public.pem"
    secret = directory / "private.pem"
    public.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    secret.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return public, secret


def _counts():
    return {m._meta.label: m._base_manager.count() for m in backup_models()}


# Not on a whole millisecond: a backup that rounds times breaks the audit chain.
ODD_TIME = datetime(2031, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)


def _chained_events(network, n=3):
    with time_machine.travel(ODD_TIME, tick=False):
        for i in range(n):
            audit_record(action=AuditEvent.Action.READ, network=network, note=f"drill-{i}")
    assert AuditEvent.objects.filter(at=ODD_TIME).count() == n


def _printed_last_hash(output):
    found = re.search(r"audit log last hash: ([0-9a-f]{64})", output)
    assert found, output
    return found.group(1)


def _wipe():
    if connection.vendor == "postgresql":  # the test's transaction holds deferred FK checks
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)
    assert not User.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_backup_wipe_restore_drill(coordinator_a, keypair, tmp_path):
    private, other, directory = keypair
    public_pem, private_pem = _pem_files(directory, private)
    person, _ = person_upsert(
        network=coordinator_a.memberships.get().network,
        data=PersonData(name=NAME, phones=[PHONE]),
    )
    Delivery.objects.create(network=person.network, channel="sms", to_address=PHONE, body="hola")
    _chained_events(person.network)
    before = _counts()
    target = tmp_path / "amparo.backup"

    printed = StringIO()
    call_command("backup", "--to", str(target), "--public-key", str(public_pem), stdout=printed)
    kept = _printed_last_hash(printed.getvalue())
    assert kept == AuditEvent.objects.latest("id").row_hash

    raw = target.read_bytes()
    for clear in (NAME, "Marisol", PHONE, "4135550301", "alice@a.example", "Alicia"):
        assert clear.encode() not in raw
        assert clear.encode("utf-16-le") not in raw

    _wipe()

    out = StringIO()
    call_command(
        "restore",
        "--from",
        str(target),
        "--private-key",
        str(private_pem),
        "--no-migrate",
        stdout=out,
    )
    assert "opens the restored data" in out.getvalue()
    assert "audit chain intact" in out.getvalue()
    assert _counts() == before
    assert AuditEvent.objects.filter(at=ODD_TIME).count() == 3  # to the microsecond
    verified = StringIO()
    call_command("audit", "verify", "--last-hash", kept, stdout=verified)
    assert f"chain intact: {AuditEvent.objects.count()} events" in verified.getvalue()
    restored = Person.objects.get(pk=person.pk)
    assert restored.name == NAME
    user = User.objects.get(pk=coordinator_a.pk)
    assert user.display_name == "Alicia Álvarez"
    assert User.objects.find_by_email("alice@a.example") == user
    assert Membership.objects.get(user=user).roles.exists()
    # new rows get fresh ids after the explicit ones (PostgreSQL sequences were reset)
    Delivery.objects.create(network=person.network, channel="sms", to_address=PHONE, body="2")


@pytest.mark.django_db
def test_wrong_private_key_and_tampering_fail_clearly(coordinator_a, keypair):
    private, other, _ = keypair
    data = io.BytesIO()
    backup.write_backup(data, private.public_key())
    blob = data.getvalue()

    with pytest.raises(BackupError, match="does not open the backup"):
        list(backup.clear_stream(io.BytesIO(blob), other))

    tampered = bytearray(blob)
    tampered[-5] ^= 1
    with pytest.raises(BackupError, match="altered or is damaged"):
        list(backup.clear_stream(io.BytesIO(bytes(tampered)), private))
    with pytest.raises(BackupError, match="truncated"):
        list(backup.clear_stream(io.BytesIO(blob[:-10]), private))
    with pytest.raises(BackupError, match="not empty"):
        backup.restore_from(io.BytesIO(blob), private)


def test_restore_command_reports_a_wrong_key(keypair, tmp_path, db):
    private, other, directory = keypair
    public_pem, _ = _pem_files(directory, private)
    _, other_pem = _pem_files(tmp_path, other)
    target = tmp_path / "b.backup"
    call_command("backup", "--to", str(target), "--public-key", str(public_pem), stdout=StringIO())
    with pytest.raises(CommandError, match="does not open the backup"):
        call_command(
            "restore", "--from", str(target), "--private-key", str(other_pem), "--no-migrate"
        )


@pytest.mark.django_db
def test_an_older_backup_with_rounded_times_restores_a_chain_that_verifies(
    network_a, keypair, monkeypatch
):
    """Backups written before times were exact (Django's encoder rounds them down to the
    millisecond): the restore finds each audit event's exact time from its hash."""
    private, _, _ = keypair
    _chained_events(network_a, n=4)
    audit_record(action=AuditEvent.Action.READ, network=network_a, note="now")
    exact = list(AuditEvent.objects.order_by("id").values_list("at", flat=True))
    with monkeypatch.context() as old_format:
        old_format.setattr(backup, "_ExactEncoder", DjangoJSONEncoder)
        old_format.setattr(backup, "TIMES", "rounded")
        data = io.BytesIO()
        backup.write_backup(data, private.public_key())
    _wipe()

    restored = backup.restore_from(io.BytesIO(data.getvalue()), private)

    assert restored.times_recovered
    assert list(AuditEvent.objects.order_by("id").values_list("at", flat=True)) == exact
    assert chain_verify(last_hash=restored.header["audit_last_hash"]).intact


def test_restore_into_a_fresh_database_keeps_the_audit_chain(keypair, tmp_path, db, network_a):
    """The operator's drill: backup here, `amparo restore` into a new, empty database of
    the same kind as the suite's (SQLite, or PostgreSQL when DATABASE_URL is set), which
    checks the restored chain up to the hash `amparo backup` printed."""
    private, _, directory = keypair
    public_pem, private_pem = _pem_files(directory, private)
    _chained_events(network_a)
    target = tmp_path / "fresh.backup"
    printed = StringIO()
    call_command("backup", "--to", str(target), "--public-key", str(public_pem), stdout=printed)
    assert _printed_last_hash(printed.getvalue()) == AuditEvent.objects.latest("id").row_hash
    events = AuditEvent.objects.count()

    env = {
        "AMPARO_DATA_DIR": str(tmp_path / "data"),
        "AMPARO_SECRET_KEY": "s" * 50,
        "AMPARO_MASTER_KEY": os.environ["AMPARO_MASTER_KEY"],
        "AMPARO_INDEX_KEY": os.environ["AMPARO_INDEX_KEY"],
    }
    with _fresh_database(tmp_path) as url:
        env["DATABASE_URL"] = url
        restore = _amparo(
            "restore", "--from", str(target), "--private-key", str(private_pem), env=env
        )
        assert restore.returncode == 0, restore.stderr
        # restore verifies the chain up to the last hash the backup recorded, as
        # `amparo audit verify --last-hash` does (the drill above runs that command)
        assert f"audit chain intact: {events} events, ending at the backup's last hash" in (
            restore.stdout
        ), restore.stdout + restore.stderr


@contextlib.contextmanager
def _fresh_database(tmp_path):
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    import psycopg

    config = settings.DATABASES["default"]
    name = f"{connection.settings_dict['NAME']}_restore"[:63]
    params: dict[str, Any] = {
        "host": config.get("HOST") or "127.0.0.1",
        "port": config.get("PORT") or 5432,
        "user": config.get("USER") or "postgres",
        "password": config.get("PASSWORD") or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        password = f":{quote(params['password'], safe='')}" if params["password"] else ""
        yield f"postgres://{params['user']}{password}@{params['host']}:{params['port']}/{name}"
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db
@pytest.mark.parametrize("keys_open", [True, False])
def test_a_restore_whose_chain_does_not_verify_fails_after_restoring(
    coordinator_a, keypair, tmp_path, monkeypatch, keys_open
):
    """Review of issue 15: a broken chain was only a warning (exit 0), and a key problem
    skipped the chain check. Now the rows are restored, every check runs, and the
    command fails (non-zero) naming what is wrong."""
    private, _, directory = keypair
    public_pem, private_pem = _pem_files(directory, private)
    _chained_events(coordinator_a.memberships.get().network)
    first = AuditEvent.objects.order_by("id")[0]
    with connection.cursor() as cursor:  # tampered with behind the append-only guard
        table = connection.ops.quote_name(AuditEvent._meta.db_table)
        cursor.execute(f"UPDATE {table} SET note = %s WHERE id = %s", ["changed", first.pk])  # noqa: S608
    before = _counts()
    target = tmp_path / "amparo.backup"
    call_command("backup", "--to", str(target), "--public-key", str(public_pem), stdout=StringIO())
    _wipe()
    if not keys_open:
        monkeypatch.setattr(
            "amparo.core.management.commands.restore.verify_database_keys",
            lambda: "the configured master key does not open the restored data",
        )
    with pytest.raises(CommandError) as failed:
        call_command(
            "restore", "--from", str(target), "--private-key", str(private_pem),
            "--no-migrate", stdout=StringIO(), stderr=StringIO(),
        )  # fmt: skip
    assert "audit chain broken" in str(failed.value)
    assert ("master key" in str(failed.value)) is not keys_open
    assert _counts() == before  # restored all the same, for the operator to look at
