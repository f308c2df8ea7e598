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
