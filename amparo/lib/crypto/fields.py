"""Model fields that never store clear text.

``EncryptedTextField`` / ``EncryptedJSONField`` seal their value with the record's
data key (see :mod:`envelope`). A model that holds them either owns a data key
(subclass :class:`OwnsDataKey`) or borrows its owner's (set ``data_key_owner`` to
the name of a foreign key to such a model), so that destroying one data key
shreds everything about that person or case, even in old backups.

The clear value lives only on the Python instance. Writing clear text any other
way (``QuerySet.update``, a lookup) raises :class:`ProtectedFieldError` instead
of silently storing it.
"""

from __future__ import annotations

import base64
import copy
import json
from functools import cache
from typing import Any, ClassVar

from django.db import models
from django.db.models.functions import Cast, Concat
from django.db.models.query_utils import DeferredAttribute

from amparo.lib.labelled import Labelled

from . import blind
from .envelope import (
    DecryptionError,
    new_data_key,
    open_sealed,
    seal,
    unwrap_data_key,
    wrap_data_key,
)

BLOCK = 16
_DEK_CACHE = "_amparo_data_key"
_PRESEALED = "_amparo_presealed"
_MISSING = object()


class ProtectedFieldError(ValueError):
    """Clear text was about to reach the database."""


class Sealed:
    """A value as stored: ciphertext not yet opened."""

    __slots__ = ("blob",)

    def __init__(self, blob: bytes) -> None:
        self.blob = blob

    def __repr__(self) -> str:  # never the content
        return "<sealed>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sealed) and other.blob == self.blob

    def __hash__(self) -> int:
        return hash(self.blob)


def _pad(data: bytes) -> bytes:
    n = BLOCK - len(data) % BLOCK
    return data + bytes([n]) * n


def _unpad(data: bytes) -> bytes:
    n = data[-1]
    if not 1 <= n <= BLOCK or data[-n:] != bytes([n]) * n:
        raise DecryptionError("bad padding")
    return data[:-n]


# --- data keys -------------------------------------------------------------------


def _key_holder(instance: models.Model) -> models.Model | None:
    owner = getattr(type(instance), "data_key_owner", None)
    if owner:
        return getattr(instance, owner)
    return instance


def data_key_for(instance: models.Model, *, create: bool) -> bytes | None:
    holder = _key_holder(instance)
    if holder is None:
        raise ProtectedFieldError(
            f"{type(instance).__name__} borrows its data key from "
            f"{type(instance).data_key_owner!r}, which is not set."  # type: ignore[attr-defined]
        )
    if holder is not instance and holder.pk is None:
        raise ProtectedFieldError("save the owning record before the records that borrow its key")
    wrapped = getattr(holder, "wrapped_key", None)
    cached = holder.__dict__.get(_DEK_CACHE)
    if wrapped is not None:
        wrapped = bytes(wrapped)
        if cached and cached[0] == wrapped:
            return cached[1]
        key = unwrap_data_key(wrapped)
    elif create and holder is instance:
        if not instance._state.adding:
            raise ProtectedFieldError(
                f"{type(instance).__name__} {instance.pk} has no data key (it was shredded); "
                "nothing new can be sealed into it"
            )
        key = new_data_key()
        wrapped = wrap_data_key(key)
        holder.wrapped_key = wrapped  # type: ignore[attr-defined]
    else:
        return None  # never had a key, or shredded
    holder.__dict__[_DEK_CACHE] = (wrapped, key)
    return key


class WrappedKeyColumn(models.BinaryField):
    """A data key wrapped by a master key (null: none, or shredded); rewrapped by rotation.py."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("null", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)


class WrappedKeyField(WrappedKeyColumn):
    """The record's data key, wrapped by a master key. Null once shredded."""

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        if add and getattr(model_instance, self.attname) is None:
            data_key_for(model_instance, create=True)
        return getattr(model_instance, self.attname)


def _lookup_fields(model: type[models.Model]) -> dict[str, Any]:
    """The keyed-hash columns of a model, with the value that erases each."""
    erased: dict[str, Any] = {}
    for f in model._meta.concrete_fields:
        if isinstance(f, NameTokensField):
            erased[f.attname] = ""
        elif isinstance(f, BlindIndexField):
            erased[f.attname] = (
                None
                if f.null
                else Concat(models.Value("shredded:"), Cast("pk", models.CharField()))
            )
    return erased


class OwnsDataKey(Labelled):
    """Abstract base for records that own a data key. The wrapped key is written at insert
    and otherwise only by ``rotate-keys`` and ``shred()`` (queryset updates): a ``save()``
    of an instance loaded before a rotation can never write the old wrapping back."""

    wrapped_key = WrappedKeyField()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding and self.pk is not None:
            fields = kwargs.get("update_fields")
            if fields is None:
                fields = [
                    f.name
                    for f in self._meta.concrete_fields
                    if not f.primary_key and f.name != "wrapped_key"
                ]
            kwargs["update_fields"] = [name for name in fields if name != "wrapped_key"]
        super().save(*args, **kwargs)

    def shred(self) -> None:
        """Destroy the data key: every value sealed with it becomes unreadable forever,
        and the keyed hashes that could still find the record (its own, and those of
        the records that borrow its key) are erased with it."""
        from django.apps import apps
        from django.db import transaction

        with transaction.atomic():
            type(self)._default_manager.filter(pk=self.pk).update(
                wrapped_key=None, **_lookup_fields(type(self))
            )
            for model in apps.get_models():
                owner = getattr(model, "data_key_owner", None)
                if not owner:
                    continue
                relation = model._meta.get_field(owner)
                if relation.related_model is not type(self):
                    continue
                erased = _lookup_fields(model)
                if erased:
                    model._default_manager.filter(**{owner: self}).update(**erased)
        self.wrapped_key = None
        self.__dict__.pop(_DEK_CACHE, None)
        for f in self._meta.concrete_fields:
            if isinstance(f, EncryptedTextField):
                self.__dict__[f.attname] = None


# --- encrypted fields --------------------------------------------------------------


class _OpeningAttribute(DeferredAttribute):
    """Opens a sealed value at its first read; a data descriptor, so reads pass through
    here though the value lives in the instance's ``__dict__``."""

    field: EncryptedTextField

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, Sealed):
            value = self.field.open_value(instance, value)
            instance.__dict__[self.field.attname] = value
        return value


class EncryptedTextField(models.TextField):
    """Text sealed with AES-256-GCM under the record's data key."""

    descriptor_class = _OpeningAttribute
    encrypted: ClassVar[bool] = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("db_index") or kwargs.get("unique"):
            raise TypeError("an encrypted field cannot be indexed; add a BlindIndexField")
        super().__init__(*args, **kwargs)

    # value <-> bytes
    def encode(self, value: Any) -> bytes:
        return str(value).encode("utf-8")

    def decode(self, data: bytes) -> Any:
        return data.decode("utf-8")

    def context(self) -> bytes:
        return f"{self.model._meta.label_lower}.{self.name}".encode()

    def open_value(self, instance: models.Model, sealed: Sealed) -> Any:
        key = data_key_for(instance, create=False)
        if key is None:
            return None  # shredded
        return self.decode(_unpad(open_sealed(key, sealed.blob, self.context())))

    def seal_value(self, instance: models.Model, value: Any) -> Sealed:
        key = data_key_for(instance, create=True)
        if key is None:  # pragma: no cover - data_key_for raises or creates
            raise ProtectedFieldError("no data key")
        return Sealed(seal(key, _pad(self.encode(value)), self.context()))

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname)
        if value is None or isinstance(value, Sealed):
            return value
        done = _presealed(model_instance, self, value)
        return self.seal_value(model_instance, value) if done is _MISSING else done

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        return Sealed(base64.b64decode(value))

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, Sealed):
            return base64.b64encode(value.blob).decode("ascii")
        raise ProtectedFieldError(
            f"refusing to send clear text for {self.model.__name__}.{self.name} to the "
            "database: save the instance, and look records up through a blind index"
        )

    def to_python(self, value: Any) -> Any:
        return value

    def value_to_string(self, obj: models.Model) -> str:
        return "<sealed>"

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name not in {"isnull"}:
            return None  # no clear-text comparisons are possible on ciphertext
        return super().get_lookup(lookup_name)


class EncryptedJSONField(EncryptedTextField):
    """Any JSON value, sealed like text."""

    # for django-stubs: the Python value is any JSON value, not a str
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def encode(self, value: Any) -> bytes:
        return json.dumps(value, sort_keys=True, separators=(",", ":")).encode("utf-8")

    def decode(self, data: bytes) -> Any:
        return json.loads(data)

    def formfield(self, **kwargs: Any) -> Any:  # pragma: no cover - not edited as raw JSON
        return None


# --- keyed-hash lookups -----------------------------------------------------------


class BlindIndexField(models.CharField):
    """Keyed hash of another field's normalized value; ``purpose``: the domain ("email")."""

    def __init__(
        self, *args: Any, source: str = "", purpose: str = "", normalize: Any = None, **kwargs: Any
    ) -> None:
        self.source = source
        self.purpose = purpose
        self.normalize = normalize
        kwargs.setdefault("max_length", blind.INDEX_HEX)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", not kwargs.get("unique", False))
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["purpose"] = self.purpose
        return name, path, args, kwargs

    def compute(self, clear: Any) -> str | None:
        if clear in (None, ""):
            return None
        text = self.normalize(clear) if self.normalize else str(clear)
        if not text.strip():  # "  " is no value: no index to match, nothing to collide on
            return None
        return blind.blind_index(self.purpose, text)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        if self.source:
            clear = getattr(model_instance, self.source)
            value = _presealed(model_instance, self, clear)
            if value is _MISSING:
                value = self.compute(clear)
            if value is None and not self.null:  # a shredded record keeps its placeholder
                return getattr(model_instance, self.attname)
            setattr(model_instance, self.attname, value)
            return value
        return super().pre_save(model_instance, add)


class NameTokensField(models.TextField):
    """Keyed-hash tokens of a name's parts and prefixes, for search by name."""

    def __init__(self, *args: Any, source: str = "", **kwargs: Any) -> None:
        self.source = source
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        clear = getattr(model_instance, self.source) or ""
        value = _presealed(model_instance, self, clear)
        if value is _MISSING:
            value = blind.tokens_text(blind.name_tokens(str(clear)))
        setattr(model_instance, self.attname, value)
        return value


def _frozen(field: models.Field[Any, Any], clear: Any) -> Any:
    """A copy of a clear value that later changes to it (a JSON dict edited in place)
    cannot reach: the bytes a sealed field seals, else its type and a deep copy."""
    if isinstance(field, EncryptedTextField):
        return field.encode(clear)
    if type(clear) in _IMMUTABLE:
        return type(clear), clear
    return type(clear), copy.deepcopy(clear)


_IMMUTABLE = frozenset({str, bytes, int, bool, float, type(None)})


def _presealed(instance: models.Model, field: models.Field[Any, Any], clear: Any) -> Any:
    """What :func:`preseal` computed for this field, if its clear value is unchanged."""
    done = instance.__dict__.get(_PRESEALED)
    entry = done.get(field.attname) if done else None
    if entry is None or entry[0] != _frozen(field, clear):
        return _MISSING
    return entry[1]


# A model's sealed and keyed-hash fields (a bulk import preseals thousands of records).
@cache
def _protected(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    kinds = (EncryptedTextField, NameTokensField, BlindIndexField)
    return [f for f in model._meta.concrete_fields if isinstance(f, kinds)]


def preseal(instance: models.Model) -> None:
    """Seal and hash the instance's protected columns now (AES-GCM, HMAC), so that a
    save or bulk write later, inside a short transaction, only sends them: a bulk import
    holds the write lock for its inserts alone. Each value is kept with the clear value
    it came from; a field changed since is sealed again when written. A new record gets
    its data key here; a record that borrows its owner's key may be sealed before the
    owner is inserted (the owner's key is written with it)."""
    fields = _protected(type(instance))
    sources = {
        f.source: getattr(instance, f.source)  # opens a sealed source once, here
        for f in fields
        if isinstance(f, (BlindIndexField, NameTokensField)) and f.source
    }
    done: dict[str, tuple[Any, Any]] = {}
    key: bytes | None = None
    for f in fields:
        if isinstance(f, EncryptedTextField):
            clear = instance.__dict__.get(f.attname)
            if clear is not None and not isinstance(clear, Sealed):
                if key is None:
                    holder = _key_holder(instance)
                    key = data_key_for(holder if holder is not None else instance, create=True)
                data = _frozen(f, clear)  # the bytes sealed
                sealed = Sealed(seal(key, _pad(data), f.context()))  # type: ignore[arg-type]
                done[f.attname] = (data, sealed)
        elif isinstance(f, NameTokensField) and f.source:
            clear = sources[f.source] or ""
            done[f.attname] = (_frozen(f, clear), blind.tokens_text(blind.name_tokens(str(clear))))
        elif isinstance(f, BlindIndexField) and f.source:
            clear = sources[f.source]
            if (value := f.compute(clear)) is not None or f.null:
                done[f.attname] = (_frozen(f, clear), value)
    instance.__dict__[_PRESEALED] = done


def name_search_filter(field_name: str, query: str) -> models.Q:
    """A Q object that matches records whose name has every word of ``query`` as a prefix."""
    q = models.Q()
    for token in blind.query_tokens(query):
        q &= models.Q(**{f"{field_name}__contains": f" {token} "})
    return q
