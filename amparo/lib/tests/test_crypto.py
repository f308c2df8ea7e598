from __future__ import annotations

import base64

import pytest
from django.db import connection, transaction
from django.test import override_settings

from amparo.accounts.models import User
from amparo.channels.models import Delivery
from amparo.lib.crypto import blind, keys
from amparo.lib.crypto.envelope import DecryptionError
from amparo.lib.crypto.fields import ProtectedFieldError, name_search_filter, preseal
from amparo.lib.crypto.rotation import rotate_master_key
from amparo.lib.crypto.verify import verify_database_keys
from amparo.people.models import Person

OLD = "dGVzdC1tYXN0ZXIta2V5LW5vdC1mb3ItcHJvZC11c2U="
NEW = base64.urlsafe_b64encode(b"N" * 32).decode()
OTHER = base64.urlsafe_b64encode(b"O" * 32).decode()


@pytest.fixture(autouse=True)
def _fresh_key_cache():
    keys.reset_cache()
    yield
    keys.reset_cache()


def raw_column(model, pk, column):
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_values_round_trip_and_are_not_stored_in_clear(network_a):
    user = User.objects.create_user("maria@example.org", display_name="María Peña")
    stored = raw_column(User, user.pk, "display_name")
    assert "Peña" not in stored and "Mar" not in stored
    fresh = User.objects.get(pk=user.pk)
    assert fresh.display_name == "María Peña"
    assert fresh.email == "maria@example.org"


@pytest.mark.django_db
def test_each_record_has_its_own_data_key():
    a = User.objects.create_user("a@example.org", display_name="Same Name")
    b = User.objects.create_user("b@example.org", display_name="Same Name")
    assert bytes(a.wrapped_key) != bytes(b.wrapped_key)
    assert raw_column(User, a.pk, "display_name") != raw_column(User, b.pk, "display_name")


@pytest.mark.django_db
def test_clear_text_is_refused_by_update_and_lookups():
    User.objects.create_user("a@example.org", display_name="Ana")
    with pytest.raises(ProtectedFieldError), transaction.atomic():
        User.objects.update(display_name="clear text")
    with pytest.raises(Exception, match="Unsupported lookup|refusing"), transaction.atomic():
        list(User.objects.filter(display_name="Ana"))
    assert User.objects.get().display_name == "Ana"


@pytest.mark.django_db
def test_tampered_or_swapped_ciphertext_does_not_open():
    a = User.objects.create_user("a@example.org", display_name="Ana")
    # the email's ciphertext copied into the name column: bound to its column, so it fails
    email_cipher = raw_column(User, a.pk, "email")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_user SET display_name = %s WHERE id = %s", [email_cipher, a.pk]
        )
    with pytest.raises(DecryptionError):
        _ = User.objects.get(pk=a.pk).display_name


@pytest.mark.django_db
def test_shredding_the_data_key_destroys_the_record():
    user = User.objects.create_user("gone@example.org", display_name="Gone Person")
    user.shred()
    fresh = User.objects.get(pk=user.pk)
    assert fresh.display_name is None
    assert fresh.email is None
    assert raw_column(User, user.pk, "display_name")  # the ciphertext is still there, unreadable


@pytest.mark.django_db
def test_blind_index_finds_email_without_clear_text():
    User.objects.create_user("Rosa@Example.org", display_name="Rosa")
    found = User.objects.find_by_email("  rosa@example.ORG ")
    assert found is not None and found.display_name == "Rosa"
    assert User.objects.find_by_email("rosa@example.com") is None
    index = raw_column(User, found.pk, "email_index")
    assert "rosa" not in index and len(index) == blind.INDEX_HEX


def test_blind_index_depends_on_the_key_and_purpose():
    value = blind.phone_index("+14135550142")
    assert value == blind.phone_index("+14135550142")
    assert value != blind.blind_index("email", "+14135550142")
    with override_settings(INDEX_KEY_RAW=OTHER):
        keys.reset_cache()
        assert blind.phone_index("+14135550142") != value


@pytest.mark.django_db
def test_name_tokens_search_by_accent_folded_prefix():
    from amparo.channels.sandbox.models import SandboxThread  # noqa: F401 (models loaded)

    tokens = blind.name_tokens("María José Peña")
    assert blind.query_tokens("maria")[0] in tokens
    assert blind.query_tokens("PEN")[0] in tokens
    assert blind.query_tokens("pena")[0] in tokens
    assert blind.query_tokens("jose")[0] in tokens
    assert blind.query_tokens("juan")[0] not in tokens
    q = name_search_filter("tokens", "mar pe")
    assert len(q.children) == 2


@pytest.mark.django_db
def test_master_key_rotation_rewraps_and_keeps_data(network_a):
    user = User.objects.create_user("rot@example.org", display_name="Rotación")
    old_kid = bytes(User.objects.get(pk=user.pk).wrapped_key)[1:9]
    with override_settings(MASTER_KEYS_RAW=f"{NEW},{OLD}"):
        keys.reset_cache()
        counts = rotate_master_key()
        assert counts["accounts.User"] >= 1
        assert rotate_master_key()["accounts.User"] == 0  # nothing left to do
    with override_settings(MASTER_KEYS_RAW=NEW):  # the old key is gone for good
        keys.reset_cache()
        fresh = User.objects.get(pk=user.pk)
        assert bytes(fresh.wrapped_key)[1:9] != old_kid
        assert fresh.display_name == "Rotación"
        assert verify_database_keys() == ""


@pytest.mark.django_db
def test_wrong_master_key_is_detected_and_named(network_a):
    User.objects.create_user("k@example.org", display_name="K")
    with override_settings(MASTER_KEYS_RAW=OTHER):
        keys.reset_cache()
        problem = verify_database_keys()
        assert "AMPARO_MASTER_KEY" in problem
        with pytest.raises(keys.KeyConfigurationError, match="AMPARO_MASTER_KEY"):
            _ = User.objects.get(email_index=blind.email_index("k@example.org")).display_name


@pytest.mark.parametrize(
    ("setting", "value", "variable"),
    [
        ("MASTER_KEYS_RAW", "", "AMPARO_MASTER_KEY"),
        ("MASTER_KEYS_RAW", "not-a-key", "AMPARO_MASTER_KEY"),
        ("INDEX_KEY_RAW", "", "AMPARO_INDEX_KEY"),
        ("INDEX_KEY_RAW", base64.b64encode(b"short").decode(), "AMPARO_INDEX_KEY"),
    ],
)
def test_missing_or_malformed_key_names_the_variable(setting, value, variable):
    with override_settings(**{setting: value}):
        keys.reset_cache()
        with pytest.raises(keys.KeyConfigurationError, match=variable):
            keys.require_keys()


@pytest.mark.django_db
def test_without_a_key_nothing_is_written_in_clear(network_a):
    with override_settings(MASTER_KEYS_RAW=""):
        keys.reset_cache()
        with pytest.raises(keys.KeyConfigurationError), transaction.atomic():
            Delivery.objects.create(
                network=network_a, channel="sandbox", to_address="+14135550142", body="canary"
            )
    assert not Delivery.objects.exists()


@pytest.mark.django_db
def test_shredding_erases_the_lookups_of_the_record_and_of_what_borrows_its_key(network_a):
    from amparo.people.filters import PeopleFilter
    from amparo.people.models import PersonPhone
    from amparo.people.services import PersonData, find_existing, person_upsert

    person, _ = person_upsert(
        network=network_a,
        data=PersonData(name="Zoila Borrada", phones=["+14135550161"], email="zoila@example.org"),
    )
    assert find_existing(network=network_a, phones=["+14135550161"]) == person
    person.shred()
    assert find_existing(network=network_a, phones=["+14135550161"]) is None
    assert find_existing(network=network_a, email="zoila@example.org") is None
    assert PeopleFilter(q="zoila").apply(network_a).count() == 0
    assert PersonPhone.objects.get(person=person).number_index.startswith("shredded:")
    # the same phone signing up again is a new person, not a crash
    again, outcome = person_upsert(
        network=network_a, data=PersonData(name="Zoila Nueva", phones=["+14135550161"])
    )
    assert outcome == "created" and again.pk != person.pk
    # nothing new can be sealed into the shredded record
    shredded = type(person).objects.get(pk=person.pk)
    shredded.notes = "new"
    with pytest.raises(ProtectedFieldError), transaction.atomic():
        shredded.save()


@pytest.mark.django_db
def test_a_user_can_be_shredded_although_its_email_index_is_unique():
    user = User.objects.create_user("gone2@example.org", display_name="Gone")
    user.shred()
    assert User.objects.find_by_email("gone2@example.org") is None
    assert User.objects.get(pk=user.pk).email_index.startswith("shredded:")


@pytest.mark.django_db
def test_saving_an_instance_loaded_before_a_rotation_keeps_the_new_wrapping():
    user = User.objects.create_user("race@example.org", display_name="Antes")
    stale = User.objects.get(pk=user.pk)  # loaded before the rotation
    _ = stale.display_name
    with override_settings(MASTER_KEYS_RAW=f"{NEW},{OLD}"):
        keys.reset_cache()
        rotate_master_key()
        stale.display_name = "Después"
        stale.save()  # must not write the old wrapping back
    with override_settings(MASTER_KEYS_RAW=NEW):
        keys.reset_cache()
        assert User.objects.get(pk=user.pk).display_name == "Después"


@pytest.mark.django_db
def test_a_value_presealed_then_changed_is_sealed_again(monkeypatch):
    user = User(email="ana@example.org", display_name="Ana")
    preseal(user)
    ahead = user.__dict__["_amparo_presealed"]["display_name"][1]
    user.display_name = "Ana María"  # changed after it was sealed: never the stale value
    user.save()
    fresh = User.objects.get(pk=user.pk)
    assert fresh.display_name == "Ana María"
    assert raw_column(User, user.pk, "display_name") != base64.b64encode(ahead.blob).decode()

    same = User(email="luis@example.org", display_name="Luis")
    preseal(same)
    raw_sealed = same.__dict__["_amparo_presealed"]["display_name"][1]
    monkeypatch.setattr("amparo.lib.crypto.fields.seal", lambda *a: pytest.fail("sealed twice"))
    same.save()  # unchanged: the value sealed ahead is the one written
    monkeypatch.undo()
    assert raw_column(User, same.pk, "display_name") == base64.b64encode(raw_sealed.blob).decode()
    assert User.objects.get(pk=same.pk).display_name == "Luis"


@pytest.mark.django_db
def test_a_json_value_presealed_then_changed_in_place_is_sealed_again(network_a):
    from amparo.people.models import PersonArea
    from amparo.tests.factories import PersonFactory

    person = PersonFactory.create(network=network_a)
    area = PersonArea(person=person, point={"lat": 42.1, "lng": -72.6}, radius_km=3)
    preseal(area)
    area.point["lat"] = 40.0  # the same dict, edited after it was sealed
    area.point["tags"] = [1]
    area.save()
    assert PersonArea.objects.get(pk=area.pk).point == {"lat": 40.0, "lng": -72.6, "tags": [1]}
    again = PersonArea(person=person, point={"n": 1}, radius_km=3)
    preseal(again)
    again.point = {"n": True}  # equal in Python, another JSON value
    again.save()
    assert PersonArea.objects.get(pk=again.pk).point == {"n": True}


def test_a_blank_value_has_no_blind_index():
    """Whitespace is no email: no index, so it neither counts as reachable nor collides."""
    field = Person._meta.get_field("email_index")
    assert field.compute("   ") is None
    assert field.compute("") is None
    assert field.compute("a@b.org") is not None
