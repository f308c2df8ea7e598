"""Backups encrypted to a public key: the server that writes them cannot read them.

File layout::

    MAGIC | u32 header length | header JSON | frames…
    frame = u8 final flag | u32 length | AES-256-GCM ciphertext

The header carries the per-backup AES key wrapped with RSA-OAEP-SHA256. Each frame is
sealed with nonce ``prefix(8) || counter(4)`` and the header, counter and final flag as
associated data, so frames cannot be reordered, dropped or truncated unnoticed.

The clear stream (zlib) is JSON lines: ``{"model": label, "fields": [...]}`` starts a
table, each following line is a row. Sealed fields stay ciphertext, so a restore needs
the same master and index keys too. Times are exact to the microsecond (header
``"times": "exact"``: the audit chain hashes them); older backups' millisecond times
are recovered from each chained event's hash (:func:`amparo.accounts.chain.recover_at`)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.apps import apps
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from amparo.accounts.chain import CONTENT_FIELDS, recover_at
from amparo.lib.crypto.fields import EncryptedTextField, Sealed
from amparo.lib.crypto.keys import primary_master_key

MAGIC = b"AMPARO-BACKUP\x001\n"
ALGORITHM = "RSA-OAEP-SHA256/AES-256-GCM/zlib/jsonl"
CHUNK = 1 << 20
ROWS = 500
#: Written in the header: dates and times in the stream are exact (see the docstring).
TIMES = "exact"
_OAEP = padding.OAEP(
    mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None
)


class BackupError(Exception):
    """The backup cannot be written or read; the message says why (never data)."""


# --- keys ------------------------------------------------------------------------


def generate_keypair(directory: Path) -> tuple[Path, Path]:
    """A new RSA-4096 backup keypair. The private key must leave the server."""
    directory.mkdir(parents=True, exist_ok=True)
    private = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    private_path = directory / "backup-private.pem"
    public_path = directory / "backup-public.pem"
    if private_path.exists() or public_path.exists():
        raise BackupError(f"{directory} already holds a backup keypair; refusing to overwrite it")
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(
            private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    public_path.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private_path, public_path


def load_public_key(path: Path) -> rsa.RSAPublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise BackupError(f"cannot read the public key {path}: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < 3072:
        raise BackupError("the backup public key must be RSA of at least 3072 bits")
    return key


def load_private_key(path: Path, password: bytes | None = None) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=password)
    except (OSError, ValueError, TypeError) as exc:
        raise BackupError(f"cannot read the private key {path}: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise BackupError("the backup private key must be an RSA key")
    return key


class _ExactEncoder(DjangoJSONEncoder):
    """Django's encoder, without its rounding of times to the millisecond."""

    def default(self, o: Any) -> Any:
        if isinstance(o, (dt.datetime, dt.time)):
            return o.isoformat()
        return super().default(o)


# --- what is backed up -----------------------------------------------------------------


def backup_models() -> list[type[models.Model]]:
    """Amparo's tables (many-to-many included), in app order; not content types and
    permissions (migrate recreates them) nor sessions (old ones should not come back)."""
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_config is not None
        and model._meta.app_config.name.startswith("amparo.")
        and model._meta.managed
        and not model._meta.proxy
    ]


def _fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return list(model._meta.concrete_fields)


def _encode(field: models.Field[Any, Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(field, EncryptedTextField):
        if not isinstance(value, Sealed):  # pragma: no cover - values come from the database
            raise BackupError("a sealed field was read back in clear")
        return base64.b64encode(value.blob).decode("ascii")
    if isinstance(value, (bytes, memoryview, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _decode(field: models.Field[Any, Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(field, EncryptedTextField):
        return Sealed(base64.b64decode(value))
    if isinstance(field, models.BinaryField):
        return base64.b64decode(value)
    if isinstance(field, models.JSONField):
        return value
    return field.to_python(value)


def _lines() -> Iterator[bytes]:
    encoder = _ExactEncoder(separators=(",", ":"), ensure_ascii=True)
    for model in backup_models():
        fields = _fields(model)
        names = [f.attname for f in fields]
        yield encoder.encode({"model": model._meta.label, "fields": names}).encode() + b"\n"
        rows = model._base_manager.order_by("pk").values_list(*names)
        for row in rows.iterator(chunk_size=ROWS):
            values = [_encode(f, v) for f, v in zip(fields, row, strict=True)]
            yield encoder.encode(values).encode() + b"\n"


# --- writing ---------------------------------------------------------------------


def _aad(header: bytes, counter: int, final: bool) -> bytes:
    return header + struct.pack(">IB", counter, int(final))


@dataclass(frozen=True)
class Written:
    counts: dict[str, int]  # rows per table
    audit_last_hash: str  # the audit chain's end in this backup ("" for no chain)


def _audit_last_hash() -> str:
    event = apps.get_model("accounts", "AuditEvent")
    last = event._base_manager.order_by("-id").values_list("row_hash", flat=True).first()
    return last or ""


def write_backup(out: IO[bytes], public_key: rsa.RSAPublicKey) -> Written:
    """Stream an encrypted dump of the database into ``out``."""
    data_key = AESGCM.generate_key(bit_length=256)
    prefix = os.urandom(8)
    aes = AESGCM(data_key)
    counter = 0
    buffered = b""
    compressor = zlib.compressobj(6)
    counts: dict[str, int] = {}
    current = ""
    header = b""

    def emit(chunk: bytes, final: bool) -> None:
        nonlocal counter
        nonce = prefix + struct.pack(">I", counter)
        sealed = aes.encrypt(nonce, chunk, _aad(header, counter, final))
        out.write(struct.pack(">BI", int(final), len(sealed)) + sealed)
        counter += 1

    outermost = not connection.in_atomic_block
    with transaction.atomic():  # one consistent snapshot of every table
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        last_hash = _audit_last_hash()
        header = json.dumps(
            {
                "algorithm": ALGORITHM,
                "wrapped_key": base64.b64encode(public_key.encrypt(data_key, _OAEP)).decode(),
                "nonce_prefix": base64.b64encode(prefix).decode(),
                "created_at": timezone.now().isoformat(),
                "database": connection.vendor,
                # not secret: lets restore say which master key the sealed fields need
                "master_key_id": primary_master_key().kid.hex(),
                "times": TIMES,
                # not secret either (a keyed hash): restore checks the chain ends there
                "audit_last_hash": last_hash,
            },
            sort_keys=True,
        ).encode()
        out.write(MAGIC + struct.pack(">I", len(header)) + header)
        for line in _lines():
            if line.startswith(b'{"model":'):
                current = json.loads(line)["model"]
                counts[current] = 0
            else:
                counts[current] += 1
            buffered += compressor.compress(line)
            while len(buffered) >= CHUNK:
                emit(buffered[:CHUNK], False)
                buffered = buffered[CHUNK:]
    buffered += compressor.flush()
    emit(buffered, True)
    return Written(counts=counts, audit_last_hash=last_hash)


def backup_to(path: Path, public_key_path: Path) -> Written:
    public_key = load_public_key(public_key_path)
    tmp = path.with_name(path.name + ".partial")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            written = write_backup(handle, public_key)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return written


# --- reading ---------------------------------------------------------------------


def _read_exact(source: IO[bytes], n: int) -> bytes:
    data = source.read(n)
    if len(data) != n:
        raise BackupError("the backup file is truncated")
    return data


def read_header(source: IO[bytes]) -> tuple[bytes, dict[str, Any]]:
    if source.read(len(MAGIC)) != MAGIC:
        raise BackupError("this is not an Amparo backup file (or not this version)")
    (length,) = struct.unpack(">I", _read_exact(source, 4))
    raw = _read_exact(source, length)
    header = json.loads(raw)
    if header.get("algorithm") != ALGORITHM:
        raise BackupError(f"unknown backup algorithm {header.get('algorithm')!r}")
    return raw, header


def clear_stream(
    source: IO[bytes], private_key: rsa.RSAPrivateKey, seen_header: dict[str, Any] | None = None
) -> Iterator[bytes]:
    """Decrypt and decompress, yielding the JSON lines; raises BackupError on any tampering.
    The header (authenticated with the first frame) is copied into ``seen_header``."""
    raw, header = read_header(source)
    if seen_header is not None:
        seen_header.update(header)
    try:
        data_key = private_key.decrypt(base64.b64decode(header["wrapped_key"]), _OAEP)
    except ValueError:
        raise BackupError(
            "this private key does not open the backup (it was made for another key)"
        ) from None
    aes = AESGCM(data_key)
    prefix = base64.b64decode(header["nonce_prefix"])
    decompressor = zlib.decompressobj()
    pending = b""
    counter = 0
    final = False
    while not final:
        head = source.read(5)
        if len(head) != 5:
            raise BackupError("the backup file is truncated")
        flag, length = struct.unpack(">BI", head)
        final = bool(flag)
        sealed = _read_exact(source, length)
        try:
            chunk = aes.decrypt(
                prefix + struct.pack(">I", counter), sealed, _aad(raw, counter, final)
            )
        except InvalidTag:
            raise BackupError("the backup file was altered or is damaged") from None
        counter += 1
        pending += decompressor.decompress(chunk)
        *lines, pending = pending.split(b"\n")
        yield from lines
    pending += decompressor.flush()
    if pending.strip():
        raise BackupError("the backup file is damaged (incomplete last line)")
    if source.read(1):
        raise BackupError("the backup file has data after its end")


def _objects(fields: list[models.Field[Any, Any]], rows: list[Any]) -> list[SimpleNamespace]:
    # Stand-in objects for raw inserts: no save(), no signals, no pre_save (which would
    # re-seal, recompute hashes or touch auto_now dates): the values go in as they were.
    return [
        SimpleNamespace(**{f.attname: _decode(f, v) for f, v in zip(fields, row, strict=True)})
        for row in rows
    ]


class _ExactTimes:
    """For a millisecond backup: each chained audit event's exact time from its own hash
    (chain.recover_at); one not found is left as it came (``audit verify`` names it)."""

    def __init__(self) -> None:
        self.hint: Any = None

    def fix(self, objs: list[SimpleNamespace]) -> None:
        for obj in objs:
            if not obj.row_hash:
                continue  # from before the chain: nothing to check it against
            content = [getattr(obj, name) for name in CONTENT_FIELDS if name != "at"]
            exact = recover_at(obj.prev_hash, content, obj.at, obj.row_hash, self.hint)
            if exact is not None:
                obj.at = self.hint = exact


@dataclass(frozen=True)
class Restored:
    counts: dict[str, int]  # rows per table
    header: dict[str, Any]  # the backup's (authenticated) header
    times_recovered: bool  # an old backup: audit times were found again from their hashes


def restore_from(source: IO[bytes], private_key: rsa.RSAPrivateKey) -> Restored:
    """Load a backup into a freshly migrated, empty database (rows that migrations
    seeded, such as default roles, are replaced by the backup's)."""
    user = apps.get_model("accounts", "User")
    network = apps.get_model("accounts", "Network")
    audit_event = apps.get_model("accounts", "AuditEvent")
    if user._base_manager.exists() or network._base_manager.exists():
        raise BackupError(
            "the database is not empty: restore only into a fresh database "
            "(create it, run `amparo migrate`, then restore)"
        )
    counts: dict[str, int] = {}
    seen: list[type[models.Model]] = []
    header: dict[str, Any] = {}
    legacy = _ExactTimes()

    def insert(
        model: type[models.Model], fields: list[models.Field[Any, Any]], rows: list[Any]
    ) -> None:
        objs = _objects(fields, rows)
        if model is audit_event and header.get("times") != TIMES:
            legacy.fix(objs)
        model._base_manager._insert(objs, fields=fields, raw=True)  # type: ignore[attr-defined]

    with transaction.atomic():
        if connection.vendor == "postgresql":  # tables arrive in app order, not FK order
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        model: type[models.Model] | None = None
        fields: list[models.Field[Any, Any]] = []
        batch: list[Any] = []
        for line in clear_stream(source, private_key, header):
            item = json.loads(line)
            if isinstance(item, dict):
                if model is not None and batch:
                    insert(model, fields, batch)
                batch = []
                model = apps.get_model(item["model"])
                by_name = {f.attname: f for f in _fields(model)}
                missing = [name for name in item["fields"] if name not in by_name]
                if missing:
                    raise BackupError(
                        f"{item['model']} has no column(s) {', '.join(missing)}: run the "
                        "migrations of the version that made the backup (or newer) first"
                    )
                fields = [by_name[name] for name in item["fields"]]
                model._base_manager.all()._raw_delete(model._base_manager.db)
                counts[model._meta.label] = 0
                seen.append(model)
                continue
            if model is None:
                raise BackupError("the backup file is damaged (a row before its table)")
            batch.append(item)
            counts[model._meta.label] += 1
            if len(batch) >= ROWS:
                insert(model, fields, batch)
                batch = []
        if model is not None and batch:
            insert(model, fields, batch)
        connection.check_constraints(table_names=[m._meta.db_table for m in seen])
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), seen):
                cursor.execute(sql)
    return Restored(counts=counts, header=header, times_recovered=header.get("times") != TIMES)
