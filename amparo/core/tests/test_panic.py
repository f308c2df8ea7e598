"""Panic wipe: after it, no sealed field on any model can be read, and the key file is gone."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from amparo.channels.models import Delivery
from amparo.hotline.models import Conversation, ConversationMessage
from amparo.lib.crypto import keys
from amparo.lib.crypto.fields import EncryptedTextField
from amparo.people.services import PersonData, person_upsert


def _encrypted_models():
    for model in apps.get_models():
        names = [
            f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)
        ]
        if names:
            yield model, names


@pytest.fixture
def key_file(tmp_path, monkeypatch, settings):
    # Never the developer's own keys: the demo directory and any index key file are
    # pointed away from the real ones.
    settings.DATA_DIR = tmp_path
    monkeypatch.delenv("AMPARO_INDEX_KEY_FILE", raising=False)
    path = tmp_path / "master.key"
    path.write_text(keys.new_key_text() + "\n")
    monkeypatch.setenv("AMPARO_MASTER_KEY_FILE", str(path))
    return path


@pytest.mark.django_db
def test_refuses_without_the_flag(coordinator_a, key_file):
    with pytest.raises(CommandError, match="--i-understand"):
        call_command("panic", stdout=StringIO())
    assert key_file.exists()


@pytest.mark.django_db
def test_panic_leaves_nothing_readable(coordinator_a, key_file):
    person, _ = person_upsert(
        network=coordinator_a.memberships.get().network,
        data=PersonData(name="Marisol Quintero", phones=["+14135550301"]),
    )
    Delivery.objects.create(
        network=person.network, channel="sms", to_address="+14135550301", body="hola"
    )
    conversation = Conversation.objects.create(network=person.network, number="+14135550302")
    ConversationMessage.objects.create(conversation=conversation, direction="in", body="ayuda")

    out = StringIO()
    call_command("panic", "--i-understand", stdout=out)

    assert not key_file.exists()
    assert "data keys destroyed" in out.getvalue()
    checked = 0
    for model, names in _encrypted_models():
        for row in model._base_manager.all():
            for name in names:
                assert getattr(row, name) is None, f"{model._meta.label}.{name}"
                checked += 1
    assert checked >= 8  # the user's email and name, the person, the messages…


@pytest.mark.django_db
def test_after_panic_no_process_seals_anything_with_the_old_keys(coordinator_a, key_file, settings):
    """Found by review: a wipe must not leave this process, nor another web worker or the
    background worker that read the key at start-up, sealing new data with it."""
    network = coordinator_a.memberships.get().network
    held = settings.MASTER_KEYS_RAW
    call_command("panic", "--i-understand", stdout=StringIO())

    assert (settings.DATA_DIR / "PANIC").exists()
    with pytest.raises(keys.KeyConfigurationError, match="panic wipe"):
        person_upsert(network=network, data=PersonData(name="After Panic", phones=[]))
    # another process that still holds the key in memory (its settings were read before)
    settings.MASTER_KEYS_RAW = held
    keys.reset_cache()
    with pytest.raises(keys.KeyConfigurationError, match="panic wipe"):
        keys.primary_master_key()
    with pytest.raises(keys.KeyConfigurationError, match="panic wipe"):
        keys.index_key()
    # only an operator who set new keys and removed the marker starts again
    (settings.DATA_DIR / "PANIC").unlink()
    assert keys.primary_master_key().secret


@pytest.mark.django_db
def test_a_database_error_while_auditing_never_stops_the_wipe(
    coordinator_a, key_file, monkeypatch, caplog
):
    """Review of issue 15: a locked SQLite file (any error but a missing key) while
    recording the audit event aborted the wipe."""
    from django.db import OperationalError

    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr("amparo.core.panic.audit_record", locked)
    err = StringIO()
    call_command("panic", "--i-understand", stdout=StringIO(), stderr=err)
    assert not key_file.exists()
    assert "could not be recorded" in err.getvalue()
    assert "panic wipe started" in caplog.text and "locked" not in caplog.text
