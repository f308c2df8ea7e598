"""Every field of every model is classified, and personal/sensitive ones are encrypted."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models

from amparo.lib.crypto.classification import LEVELS, PROTECTED, level_of, registry
from amparo.lib.crypto.fields import EncryptedTextField


def concrete_fields(model: type[models.Model]) -> list[models.Field]:
    """Fields stored in the model's table or its many-to-many tables (the implicit id too)."""
    return [
        f
        for f in model._meta.get_fields()
        if isinstance(f, models.Field)
        and (f.concrete or f.many_to_many)
        and (not f.auto_created or f.primary_key)
    ]


ALL_MODELS = [m for m in apps.get_models() if not m._meta.abstract]


def test_there_are_models_to_check():
    labels = {m._meta.label_lower for m in ALL_MODELS}
    assert {"accounts.user", "channels.delivery", "sandbox.sandboxthread"} <= labels


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m._meta.label_lower)
def test_every_field_is_classified(model):
    missing = [
        f.name for f in concrete_fields(model) if level_of(model._meta.label_lower, f.name) is None
    ]
    assert not missing, f"{model._meta.label_lower}: classify {missing} in the registry"


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m._meta.label_lower)
def test_personal_and_sensitive_fields_are_encrypted(model):
    clear = [
        f.name
        for f in concrete_fields(model)
        if level_of(model._meta.label_lower, f.name) in PROTECTED
        and not isinstance(f, EncryptedTextField)
    ]
    assert not clear, f"{model._meta.label_lower}: {clear} are personal/sensitive but stored clear"


def test_registry_has_no_stale_entries():
    known = {m._meta.label_lower: {f.name for f in concrete_fields(m)} for m in ALL_MODELS}
    stale = [
        f"{label}.{name}"
        for label, fields in registry().items()
        for name in fields
        if name not in known.get(label, set())
    ]
    assert not stale


def test_levels_are_the_four_of_design():
    assert LEVELS == ("public", "internal", "personal", "sensitive")
    assert {level for fields in registry().values() for level in fields.values()} <= set(LEVELS)


def test_the_check_would_catch_an_unclassified_field():
    """The walk is not vacuous: a model with a new, unregistered field fails it."""

    class Probe(models.Model):  # noqa: DJ008
        secret_note = models.TextField()

        class Meta:
            app_label = "core"
            managed = False

    try:
        names = [f.name for f in concrete_fields(Probe)]
        assert "secret_note" in names
        assert level_of("core.probe", "secret_note") is None
    finally:
        apps.all_models["core"].pop("probe", None)
        apps.clear_cache()
