"""Backups: encrypted to a public key, restorable into a fresh database, opaque on disk."""

from __future__ import annotations

import io
from io import StringIO

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.management import CommandError, call_command
from django.db import connection

from amparo.accounts.models import Membership, User
from amparo.channels.models import Delivery
from amparo.core import backup
from amparo.core.backup import BackupError, backup_models
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


@pytest.mark.django_db
def test_backup_wipe_restore_drill(coordinator_a, keypair, tmp_path):
    private, other, directory = keypair
    public_pem, private_pem = _pem_files(directory, private)
    person, _ = person_upsert(
        network=coordinator_a.memberships.get().network,
        data=PersonData(name=NAME, phones=[PHONE]),
    )
    Delivery.objects.create(network=person.network, channel="sms", to_address=PHONE, body="hola")
    before = _counts()
    target = tmp_path / "amparo.backup"

    call_command("backup", "--to", str(target), "--public-key", str(public_pem), stdout=StringIO())

    raw = target.read_bytes()
    for clear in (NAME, "Marisol", PHONE, "4135550301", "alice@a.example", "Alicia"):
        assert clear.encode() not in raw
        assert clear.encode("utf-16-le") not in raw

    if connection.vendor == "postgresql":  # the test's transaction holds deferred FK checks
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)
    assert not User.objects.exists()

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
    assert _counts() == before
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
