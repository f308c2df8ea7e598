"""Importing people from a spreadsheet: read, map columns, preview, fix or skip rows, import.

The flow (web page and ``amparo import-people`` alike):

1. :func:`import_file_read` reads a CSV (comma, semicolon or tab; any BOM; UTF-8 with a
   Windows-1252/Latin-1 fallback) or the active sheet of an XLSX workbook (openpyxl in
   read-only mode with ``data_only``: formulas are never executed) into a *payload*:
   plain JSON with the column headings, the mapping of columns to fields guessed from
   English or Spanish headings, and the rows as text.
2. :func:`import_check` validates every row against the mapping and the network's
   places, roles and training types, groups rows that are the same person (same phone
   or email, in the file or already in the database) and explains each problem in the
   active language. Nothing is written.
3. :func:`import_apply` writes every group through :func:`person_upsert` in one
   transaction; importing the same file twice leaves everything "unchanged".

On the web the payload lives sealed in ``ImportBatch.payload`` between steps, and is
dropped (set to None) as soon as the import finishes, fails or is abandoned: only
counts stay. No message or log line carries a cell's value.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import logging
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import PurePath
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User
from amparo.lib.crypto.blind import email_index, fold, phone_index
from amparo.lib.phones import normalize_phone

from .models import ImportBatch, Person, PersonPhone, PersonRole, TrainingType
from .services import PersonData, person_upsert, place_lookup

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # refused before anything is parsed
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # an XLSX is a zip: refuse decompression bombs
MAX_ROWS = 20_000
MAX_COLUMNS = 50
MAX_CELL_CHARS = 2_000
HEADER_SCAN_ROWS = 10
EMPTY_ROWS_STOP = 1_000  # a sheet "used" down to row 1,048,576 ends here
MAX_NAME_CHARS = 200
MAX_NOTES_CHARS = 2_000
MAX_PHONES = 10
PAYLOAD_VERSION = 1

CSV_EXTENSIONS = {".csv", ".tsv", ".txt", ""}
XLSX_EXTENSIONS = {".xlsx"}


# --- fields and the headings that name them -----------------------------------------

#: (key, label, several columns allowed)
FIELDS: list[tuple[str, Any, bool]] = [
    ("name", gettext_lazy("Full name"), False),
    ("first_name", gettext_lazy("First name"), True),  # "Primer nombre", "Segundo nombre"
    ("last_name", gettext_lazy("Last name"), True),  # "Apellido paterno", "Apellido materno"
    ("phone", gettext_lazy("Phone"), True),
    ("email", gettext_lazy("Email"), False),
    ("language", gettext_lazy("Preferred language"), False),
    ("other_languages", gettext_lazy("Other languages spoken"), False),
    ("place", gettext_lazy("Town or ZIP code"), True),
    ("roles", gettext_lazy("Roles"), False),
    ("trained", gettext_lazy("Training"), False),
    ("training_date", gettext_lazy("Training date"), False),
    ("notes", gettext_lazy("Notes"), False),
]
FIELD_KEYS = {key for key, _label, _multi in FIELDS}
MULTI_FIELDS = {key for key, _label, multi in FIELDS if multi}
NAME_FIELDS = ("name", "first_name", "last_name")

# Headings, accent-folded, lower case, punctuation as spaces, numbers dropped.
HEADINGS: dict[str, set[str]] = {
    "name": {
        "name", "full name", "names", "nombre", "nombre completo", "nombre y apellido",
        "nombre y apellidos", "nombres y apellidos", "contact name", "nombre del contacto",
        "member name", "nombre del miembro",
    },
    "first_name": {
        "first name", "first", "firstname", "given name", "given names", "forename",
        "primer nombre", "segundo nombre", "nombres", "nombre de pila", "nombre s",
        "middle name",
    },
    "last_name": {
        "last name", "last", "lastname", "surname", "surnames", "family name", "apellido",
        "apellidos", "primer apellido", "segundo apellido", "apellido s", "apellido paterno",
        "apellido materno",
    },
    "phone": {
        "phone", "phones", "phone number", "telephone", "tel", "mobile", "mobile phone",
        "cell", "cell phone", "cellphone", "home phone", "work phone", "other phone",
        "other phones", "whatsapp", "telefono", "telefonos", "numero de telefono",
        "celular", "movil", "telefono celular", "telefono movil", "telefono de casa",
        "otro telefono", "otros telefonos", "tel casa", "cel",
    },
    "email": {
        "email", "e mail", "emails", "email address", "mail", "correo",
        "correo electronico", "e mail address", "correo e",
    },
    "language": {
        "language", "preferred language", "primary language", "idioma", "idioma preferido",
        "idioma principal", "lengua", "lenguaje",
    },
    "other_languages": {
        "languages", "languages spoken", "other languages", "other language",
        "also speaks", "idiomas", "otros idiomas", "otro idioma", "idiomas que habla",
        "lenguas", "otras lenguas", "tambien habla",
    },
    "place": {
        "town", "city", "zip", "zip code", "zipcode", "postal code", "postcode",
        "town or zip", "town or zip code", "towns or zip codes", "area", "areas",
        "ciudad", "pueblo", "pueblos", "municipio", "localidad", "codigo postal",
        "pueblo o codigo postal", "pueblos o codigos postales", "zona",
    },
    "roles": {"role", "roles", "rol", "roles en la red", "papel", "funcion", "funciones"},
    "trained": {
        "trained", "training", "trainings", "training completed", "capacitacion",
        "capacitaciones", "capacitado", "capacitada", "capacitado a", "entrenamiento",
        "entrenado", "formacion",
    },
    "training_date": {
        "training date", "date trained", "trained on", "date of training",
        "fecha de capacitacion", "fecha capacitacion", "fecha de entrenamiento",
        "fecha del entrenamiento", "fecha de la capacitacion", "capacitado el",
    },
    "notes": {
        "notes", "note", "notas", "nota", "comments", "comment", "comentarios",
        "comentario", "observaciones",
    },
}  # fmt: skip
_HEADING_INDEX = {text: key for key, texts in HEADINGS.items() for text in texts}
_HEADING_WORDS = [  # a heading that contains one of these words, when nothing matches exactly
    ("phone", {"phone", "telefono", "celular", "movil", "whatsapp", "cellphone", "mobile"}),
    ("email", {"email", "correo"}),
    ("place", {"zip", "town", "pueblo", "ciudad"}),
]

# Language names people write, accent-folded, to codes.
LANGUAGE_NAMES = {
    "en": {"en", "eng", "english", "ingles", "anglais"},
    "es": {"es", "spa", "sp", "spanish", "espanol", "castellano", "espagnol"},
    "pt": {"pt", "portuguese", "portugues"},
    "fr": {"fr", "french", "frances", "francais"},
    "ht": {"ht", "haitian creole", "kreyol", "creole", "criollo haitiano", "creol"},
    "zh": {"zh", "chinese", "chino", "mandarin", "mandarin chinese"},
    "yue": {"cantonese", "cantones"},
    "ar": {"ar", "arabic", "arabe"},
    "vi": {"vi", "vietnamese", "vietnamita"},
    "tl": {"tl", "tagalog", "filipino"},
    "ru": {"ru", "russian", "ruso"},
    "uk": {"uk", "ukrainian", "ucraniano"},
    "so": {"so", "somali"},
    "sw": {"sw", "swahili", "suajili"},
    "am": {"am", "amharic", "amharico"},
    "ti": {"ti", "tigrinya"},
    "ne": {"ne", "nepali"},
    "hi": {"hi", "hindi"},
    "pa": {"pa", "punjabi"},
    "ko": {"ko", "korean", "coreano"},
    "qu": {"qu", "quechua"},
    "mam": {"mam"},
    "quc": {"quc", "kiche", "k iche", "quiche"},
    "kjb": {"kjb", "qanjobal", "q anjobal", "kanjobal"},
    "cak": {"cak", "kaqchikel", "cakchiquel"},
    "nah": {"nah", "nahuatl", "nahuat"},
    "mix": {"mix", "mixteco", "mixtec"},
    "zap": {"zap", "zapoteco", "zapotec"},
    "tzo": {"tzo", "tzotzil"},
    "asl": {"asl", "american sign language", "lengua de senas", "lengua de senas americana"},
}
_LANGUAGE_INDEX = {name: code for code, names in LANGUAGE_NAMES.items() for name in names}

YES = {"yes", "y", "si", "s", "x", "true", "1", "ok", "trained", "capacitado", "capacitada"}
YES |= {"\u2713", "\u2714", "verdadero"}
NO = {"no", "n", "false", "0", "not yet", "todavia no", "falso", "-"}

_SPLIT_LIST = re.compile(r"\s*(?:[,;/|\n]|\s(?:and|y|e|&)\s)\s*")
_SPLIT_PLACES = re.compile(r"\s*[;/|\n]\s*")
_SPLIT_NAMES = re.compile(r"\s*[,;|\n]\s*")  # roles and trainings: "Abogado/a" is one
_SPLIT_PHONES = re.compile(r"\s*(?:[,;/|\n]|\s(?:or|o|y|and)\s)\s*")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_TRAINING_WITH_DATE = re.compile(r"^(.*?)\s*\(([^()]*)\)$")


def _heading_key(text: str) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", fold(text)).split()
    return " ".join(w for w in words if not w.isdigit())


def heading_field(text: str) -> str:
    """The field a column heading names, or "" if it names none Amparo knows."""
    key = _heading_key(text)
    if not key:
        return ""
    if key in _HEADING_INDEX:
        return _HEADING_INDEX[key]
    words = set(key.split())
    for name, hints in _HEADING_WORDS:
        if words & hints:
            return name
    return ""


def field_label(key: str) -> str:
    for name, label, _multi in FIELDS:
        if name == key:
            return str(label)
    return _("Do not import")


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_label(index: int, header: str) -> str:
    if header:
        return _("%(header)s (column %(letter)s)") % {
            "header": header[:60],
            "letter": column_letter(index),
        }
    return _("column %(letter)s") % {"letter": column_letter(index)}


# --- errors -------------------------------------------------------------------------


class ImportFileError(Exception):
    """The file as a whole cannot be imported; ``message`` says why, for a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ImportNotReady(Exception):
    """The import cannot run yet (or any more); ``message`` says why, for a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ImportFailed(Exception):
    """The import broke off; nothing of it was saved. ``message`` is for a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _too_big() -> ImportFileError:
    return ImportFileError(
        _(
            "This file is larger than %(limit)s MB. Split it into smaller files, or "
            "remove the columns Amparo does not need, and upload it again."
        )
        % {"limit": MAX_UPLOAD_BYTES // (1024 * 1024)}
    )


def _wrong_type() -> ImportFileError:
    return ImportFileError(
        _(
            "Amparo can read CSV files (.csv, .tsv or .txt) and Excel workbooks (.xlsx). "
            "Save the spreadsheet in one of these formats and upload it again."
        )
    )


# --- reading files ------------------------------------------------------------------


def clean_cell(value: Any) -> str:
    """A cell as trimmed text: numbers without ".0", dates as ISO, no control characters.

    Our own export escapes cells that start with =, +, - or @ by a leading apostrophe;
    it is taken off again here (a formula is then refused when the row is checked).
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = str(int(value)) if value.is_integer() and abs(value) < 1e15 else str(value)
    elif isinstance(value, datetime):
        text = value.date().isoformat() if value.time() == time(0) else value.isoformat(" ")
    elif isinstance(value, date | time):
        text = value.isoformat()
    else:
        text = str(value)
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\n":
        text = text[1:].strip()
    return text[: MAX_CELL_CHARS + 1]


def _decode(raw: bytes) -> str:
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise _wrong_type() from None
    if b"\x00" in raw[:8192]:
        raise _wrong_type()  # a binary file, not text
    for encoding in ("utf-8", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")  # every byte is a character in Latin-1


def _delimiter_guess(lines: list[str]) -> str:
    """The separator that splits the first lines into the most, equally long, rows."""
    best, best_score = ",", (-1, -1)
    for delimiter in (",", ";", "\t"):
        try:
            counts = [len(r) for r in csv.reader(lines, delimiter=delimiter) if r]
        except csv.Error:
            continue
        if not counts:
            continue
        widest = max(set(counts), key=lambda n: (counts.count(n), n))
        score = (counts.count(widest) if widest > 1 else 0, widest)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_rows(raw: bytes) -> Iterator[tuple[int, list[Any]]]:
    text = _decode(raw)
    first_line, _sep, rest = text.partition("\n")
    delimiter = ""
    hint = first_line.strip().strip('"').lower()
    if hint.startswith("sep=") and len(hint) == 5:  # Excel's "sep=;" first line
        delimiter, text = hint[4], rest
    if not delimiter:
        delimiter = _delimiter_guess(text[:65536].splitlines()[:30])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            yield number, record
    except csv.Error:
        raise ImportFileError(
            _(
                "Amparo could not read row %(row)s of this file: it may not be a CSV file, "
                "or a cell may be far too long."
            )
            % {"row": number + 1}
        ) from None


def _xlsx_rows(stream: IO[bytes]) -> Iterator[tuple[int, list[Any]]]:
    import openpyxl

    unreadable = ImportFileError(
        _(
            "Amparo could not read this Excel file: it may be damaged or protected with a "
            "password. Save it again as .xlsx or as CSV and upload it again."
        )
    )
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise unreadable from None
    if "xl/workbook.xml" not in names:
        raise _wrong_type()
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportFileError(
            _(
                "This workbook is too large once unpacked. Save only the sheet with the "
                "people as a CSV file and upload that."
            )
        )
    stream.seek(0)
    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True, keep_links=False)
    except Exception:  # openpyxl raises many kinds on hostile files
        raise unreadable from None
    try:
        try:
            sheet = workbook.active or workbook.worksheets[0]
            rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1)
        except Exception:
            raise unreadable from None
        number = 0
        while True:
            try:
                values = next(rows)
            except StopIteration:
                break
            except Exception:
                raise unreadable from None
            number += 1
            yield number, list(values)
    finally:
        workbook.close()


def _file_kind(filename: str, head: bytes) -> str:
    suffix = PurePath(filename or "").suffix.lower()
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            _(
                "This is an old Excel file (.xls). Open it and save it as an Excel workbook "
                "(.xlsx) or as CSV, then upload it again."
            )
        )
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"  # whatever its name says; _xlsx_rows checks it is a workbook
    if suffix in XLSX_EXTENSIONS:
        raise _wrong_type()
    magic = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"{\\rtf", b"\x1f\x8b")
    if suffix not in CSV_EXTENSIONS or head.startswith(magic):
        raise _wrong_type()
    return "csv"


def import_file_read(*, filename: str, stream: IO[bytes], size: int) -> dict[str, Any]:
    """Read an uploaded file into a payload (see the module docstring); never executes it.

    ``size`` is checked before a byte is read. Raises :class:`ImportFileError`.
    """
    if size > MAX_UPLOAD_BYTES:
        raise _too_big()
    if size == 0:
        raise ImportFileError(_("This file is empty."))
    head = stream.read(8)
    stream.seek(0)
    kind = _file_kind(filename, head)
    digest = hashlib.sha256()
    if kind == "csv":
        raw = stream.read(MAX_UPLOAD_BYTES + 1)
        if len(raw) > MAX_UPLOAD_BYTES:
            raise _too_big()
        digest.update(raw)
        source = _csv_rows(raw)
    else:
        read = 0
        for chunk in iter(lambda: stream.read(1 << 16), b""):
            read += len(chunk)
            if read > MAX_UPLOAD_BYTES:
                raise _too_big()
            digest.update(chunk)
        stream.seek(0)
        source = _xlsx_rows(stream)
    payload = payload_build(source)
    payload["kind"] = kind
    payload["sha256"] = digest.hexdigest()
    return payload


def payload_build(source: Iterable[tuple[int, list[Any]]]) -> dict[str, Any]:
    """Rows (number, cells) of a sheet → the payload: headings, guessed mapping, rows."""
    too_many_rows = ImportFileError(
        _(
            "This file has more than %(max)s rows. Split it into smaller files and upload "
            "them one after the other."
        )
        % {"max": MAX_ROWS}
    )
    rows: list[tuple[int, list[str]]] = []
    empty_run = 0
    for number, values in source:
        cells = [clean_cell(v) for v in values]
        while cells and not cells[-1]:
            cells.pop()
        if len(cells) > MAX_COLUMNS:
            raise ImportFileError(
                _("This file has more than %(max)s columns. Remove the ones Amparo does not need.")
                % {"max": MAX_COLUMNS}
            )
        if not cells:
            empty_run += 1
            if empty_run >= EMPTY_ROWS_STOP:
                break
            continue
        empty_run = 0
        rows.append((number, cells))
        if len(rows) > MAX_ROWS + HEADER_SCAN_ROWS:
            raise too_many_rows
    if not rows:
        raise ImportFileError(_("This file is empty."))
    width = max(len(cells) for _n, cells in rows)
    header_at, columns = _headings_find([c for _n, c in rows[:HEADER_SCAN_ROWS]], width)
    data = rows[header_at:]
    if not data:
        raise ImportFileError(_("The file has column headings but no people under them."))
    if len(data) > MAX_ROWS:
        raise too_many_rows
    used = [bool(columns[i]["header"] or columns[i]["field"]) for i in range(width)]
    for _n, cells in data:
        for i, cell in enumerate(cells):
            if cell and i < width:
                used[i] = True
    keep = [i for i in range(width) if used[i]]
    return {
        "v": PAYLOAD_VERSION,
        "columns": [columns[i] for i in keep],
        "rows": [
            {"n": n, "cells": [cells[i] if i < len(cells) else "" for i in keep], "skip": False}
            for n, cells in data
        ],
        "training": "",
    }


def _is_sub_heading(cells: list[str], above: list[str]) -> bool:
    """A second heading row ("Casa", "Celular" under a merged "Teléfonos"): one heading
    Amparo knows word for word, no contact details, and no unknown text under a column
    that takes a single value (that would be a person's row)."""
    if any("@" in c or len(re.sub(r"\D", "", c)) >= 7 for c in cells):
        return False
    if not any(_heading_key(c) in _HEADING_INDEX for c in cells):
        return False
    for i, cell in enumerate(cells):
        over = above[i] if i < len(above) else ""
        if cell and not heading_field(cell) and over and over not in MULTI_FIELDS:
            return False
    return True


def _headings_find(top: list[list[str]], width: int) -> tuple[int, list[dict[str, str]]]:
    """Find the heading row: the first of the top rows with two headings Amparo knows.

    Handles a title row above it, and two-row headings from merged cells (openpyxl
    gives None for the cells a merge covers): an empty heading takes the one above it,
    a second heading row under the first refines it, and an empty heading right after
    a phone column is another phone column ("Teléfonos" merged over two columns).
    Returns the index of the first data row and the columns.
    """
    fields = [[heading_field(c) for c in row] for row in top]
    header = next((i for i, f in enumerate(fields) if sum(1 for x in f if x) >= 2), None)
    if header is None:
        raise ImportFileError(
            _(
                "Amparo found no row of column headings in the first %(rows)s rows. Put one "
                "row of headings, such as Name, Phone and Email, above the people and "
                "upload the file again."
            )
            % {"rows": HEADER_SCAN_ROWS}
        )
    sub = header + 1
    has_sub = sub < len(top) and _is_sub_heading(top[sub], fields[header])
    stack = ([sub] if has_sub else []) + list(range(header, -1, -1))
    columns: list[dict[str, str]] = []
    for col in range(width):
        heading, key = "", ""
        for r in stack:
            text = top[r][col] if col < len(top[r]) else ""
            if not heading and text and r in (header, sub):
                heading = text
            if fields[r][col : col + 1] and fields[r][col]:
                heading, key = text, fields[r][col]
                break
        if not key and not heading and columns and columns[-1]["field"] == "phone":
            key = "phone"
        columns.append({"header": heading[:120], "field": key})
    _mapping_settle(columns)
    return (sub + 1 if has_sub else header + 1), columns


def _mapping_settle(columns: list[dict[str, str]]) -> None:
    """Resolve what headings alone cannot say: "Nombre" next to "Apellido" is a first name;
    a field that takes one column keeps only its first."""
    keys = [c["field"] for c in columns]
    if "last_name" in keys and "first_name" not in keys and "name" in keys:
        columns[keys.index("name")]["field"] = "first_name"
    seen: set[str] = set()
    for column in columns:
        key = column["field"]
        if key and key not in MULTI_FIELDS:
            if key in seen:
                column["field"] = ""
            seen.add(key)


# --- checking rows ------------------------------------------------------------------


@dataclass
class RowResult:
    index: int  # position in payload["rows"]
    number: int  # row number in the file
    skipped: bool = False
    errors: list[tuple[int | None, str]] = field(default_factory=list)  # (column, message)
    warnings: list[str] = field(default_factory=list)
    status: str = "new"  # new | existing | duplicate | error | skipped
    duplicate_of: int | None = None  # the row number it was merged into
    data: PersonData | None = None


@dataclass
class Group:
    rows: list[int]  # indexes into ImportCheck.rows, first row first
    data: PersonData
    target_id: int | None = None


@dataclass
class ImportCheck:
    rows: list[RowResult]
    groups: list[Group]
    mapping_errors: list[str]

    def problems(self) -> list[RowResult]:
        return [r for r in self.rows if r.errors and not r.skipped]

    def counts(self) -> dict[str, int]:
        statuses = [r.status for r in self.rows]
        return {
            "rows": len(self.rows),
            "new": sum(1 for g in self.groups if g.target_id is None),
            "existing": sum(1 for g in self.groups if g.target_id is not None),
            "duplicate": statuses.count("duplicate"),
            "error": statuses.count("error"),
            "skipped": statuses.count("skipped"),
        }


class _Lookups:
    """The network's roles, training types and places, matched by folded text, cached."""

    def __init__(self, network: Network, training: str) -> None:
        self.network = network
        self.roles: dict[str, str] = {}
        self.role_labels: list[str] = []
        for role in PersonRole.objects.filter(network=network):
            self.role_labels.append(role.label)
            for text in [role.slug, role.slug.replace("-", " "), *(role.name or {}).values()]:
                self.roles.setdefault(_heading_key(text), role.slug)
        self.trainings: dict[str, str] = {}
        self.training_labels: list[str] = []
        for kind in TrainingType.objects.filter(network=network):
            self.training_labels.append(kind.label)
            for text in [kind.slug, kind.slug.replace("-", " "), *(kind.name or {}).values()]:
                self.trainings.setdefault(_heading_key(text), kind.slug)
        self.default_training = training if training in self.trainings.values() else ""
        self.places: dict[str, int | None] = {}
        self.offered = [code for code, _name in settings.LANGUAGES]
        self.today = timezone.localdate()

    def place(self, text: str) -> int | None:
        key = fold(text).strip()
        if key not in self.places:
            found = None
            candidates = [text]
            if "," in text:
                candidates.append(text.split(",")[0])
            if re.fullmatch(r"\d{3,4}", text):
                candidates.append(text.zfill(5))  # a ZIP typed as a number lost its 0
            if re.fullmatch(r"\d{5}-\d{4}", text):
                candidates.append(text[:5])
            for candidate in candidates:
                place = place_lookup(network=self.network, text=candidate)
                if place is not None:
                    found = place.pk
                    break
            self.places[key] = found
        return self.places[key]


def default_training(network: Network) -> str:
    """What a "yes" in a training column means unless the person chooses otherwise."""
    slugs = list(TrainingType.objects.filter(network=network).values_list("slug", flat=True))
    return "rapid-responder" if "rapid-responder" in slugs else (slugs[0] if slugs else "")


def parse_date(text: str, today: date) -> date | None:
    """2024-03-15, 3/15/2024 or 15/3/2024, 15.3.24, or a spreadsheet's day number.

    None when it is none of these, and when the day cannot be told from the month
    (3/4/2024 is March 4 in the US and 3 April in Mexico): guessing would record a
    training on the wrong date, so the row asks for 2024-03-04 instead."""
    text = text.strip()
    try:
        match = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?", text)
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
        match = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})", text)
        if match:
            first, second, year = int(match[1]), int(match[2]), int(match[3])
            if year < 100:
                year += 2000 if year <= today.year % 100 else 1900
            if first <= 12 and second <= 12 and first != second:
                return None  # ambiguous
            month, day = (second, first) if first > 12 else (first, second)
            return date(year, month, day)
        match = re.fullmatch(r"(\d{5})(?:\.0+)?", text)
        if match and 20000 <= int(match[1]) <= 80000:
            return date(1899, 12, 30) + timedelta(days=int(match[1]))
    except ValueError:
        return None
    return None


def _languages(text: str) -> list[str] | None:
    codes = []
    for part in _SPLIT_LIST.split(text):
        key = _heading_key(part)
        if not key:
            continue
        code = _LANGUAGE_INDEX.get(key)
        if code is None and re.fullmatch(r"[a-z]{2,3}", part.strip()):
            code = part.strip()
        if code is None:
            return None
        codes.append(code)
    return codes


def _row_parse(
    cells: list[str], columns: list[dict[str, str]], lookups: _Lookups, result: RowResult
) -> None:
    """Fill ``result`` with the row's PersonData, or with its errors."""

    def error(col: int | None, message: str) -> None:
        result.errors.append((col, message))

    def label(col: int | None) -> str:
        return column_label(col, columns[col]["header"]) if col is not None else ""

    values: dict[str, list[tuple[int, str]]] = {}
    col: int | None
    for col, column in enumerate(columns):
        key = column["field"]
        value = cells[col] if col < len(cells) else ""
        if not key or not value:
            continue
        if value.startswith("="):
            error(
                col,
                _(
                    "%(column)s: this cell holds a formula. Amparo never runs formulas: "
                    "type the value itself."
                )
                % {"column": label(col)},
            )
            continue
        values.setdefault(key, []).append((col, value))

    def first(key: str) -> tuple[int | None, str]:
        found = values.get(key)
        return found[0] if found else (None, "")

    # name
    name_col, name = first("name")
    if not name:
        parts = values.get("first_name", []) + values.get("last_name", [])
        name = " ".join(v for _c, v in parts)
        name_col = parts[0][0] if parts else None
    name = " ".join(name.split())
    name_cols = [i for i, c in enumerate(columns) if c["field"] in NAME_FIELDS]
    if not name and not any(c in name_cols for c, _m in result.errors):
        error(name_cols[0] if name_cols else None, _("The name is missing."))
    elif len(name) > MAX_NAME_CHARS:
        error(
            name_col,
            _("%(column)s: a name can be at most %(max)s characters long.")
            % {"column": label(name_col), "max": MAX_NAME_CHARS},
        )

    # phones
    phones: list[str] = []
    for col, value in values.get("phone", []):
        for part in _SPLIT_PHONES.split(value):
            if not part:
                continue
            try:
                number = normalize_phone(part)
            except ValidationError as exc:
                problem = exc.messages[0]
                error(
                    col, _("%(column)s: %(problem)s") % {"column": label(col), "problem": problem}
                )
                break
            if number not in phones:
                phones.append(number)
    if len(phones) > MAX_PHONES:
        phones = phones[:MAX_PHONES]
        result.warnings.append(
            _("Only the first %(max)s phone numbers are kept.") % {"max": MAX_PHONES}
        )

    # email
    email = ""
    col, value = first("email")
    if value:
        candidates = [e for e in re.split(r"[\s,;]+", value.lower()) if e]
        try:
            validate_email(candidates[0])
            email = candidates[0]
        except ValidationError:
            error(col, _("%(column)s: this is not an email address.") % {"column": label(col)})
        if len(candidates) > 1:
            result.warnings.append(_("Only one email is kept per person: the first one."))
    contact_cols = {i for i, c in enumerate(columns) if c["field"] in ("phone", "email")}
    if not phones and not email and not any(c in contact_cols for c, _m in result.errors):
        error(
            None,
            _(
                "No phone number or email: Amparo needs one to reach this person and to "
                "recognise them when a list is imported again. Add one, or skip this row."
            ),
        )

    # languages
    language: str | None = None
    others: list[str] | None = None
    col, value = first("language")
    if value:
        codes = _languages(value)
        if not codes:
            error(
                col,
                _("%(column)s: Amparo does not recognise this language.") % {"column": label(col)},
            )
        elif codes[0] not in lookups.offered:
            error(
                col,
                _(
                    "%(column)s: Amparo can write to people only in %(languages)s. Write one of "
                    "them here, and other languages in the column of other languages spoken."
                )
                % {
                    "column": label(col),
                    "languages": ", ".join(str(n) for _c, n in settings.LANGUAGES),
                },
            )
        else:
            language, others = codes[0], codes[1:] or None
    col, value = first("other_languages")
    if value:
        codes = _languages(value)
        if codes is None:
            error(
                col,
                _(
                    "%(column)s: Amparo does not recognise one of these languages. Write their "
                    "names or two-letter codes (pt, fr…), separated by commas."
                )
                % {"column": label(col)},
            )
        else:
            others = list(dict.fromkeys([*(others or []), *codes]))[:10]

    # places
    places: list[int] = []
    for col, value in values.get("place", []):
        for part in _SPLIT_PLACES.split(value):
            place_id = lookups.place(part) if part else 0
            if place_id is None:
                error(
                    col,
                    _(
                        "%(column)s: this town or ZIP code is not in the network's list of "
                        "places. Correct it, leave the cell empty, or ask a coordinator to "
                        "add the place."
                    )
                    % {"column": label(col)},
                )
                break
            if place_id and place_id not in places:
                places.append(place_id)

    # roles
    roles: list[str] = []
    col, value = first("roles")
    for part in _SPLIT_NAMES.split(value) if value else []:
        slug = lookups.roles.get(_heading_key(part)) if _heading_key(part) else ""
        if slug is None:
            error(
                col,
                _("%(column)s: a role here is not one of the network's roles: %(roles)s.")
                % {"column": label(col), "roles": ", ".join(lookups.role_labels)},
            )
            break
        if slug and slug not in roles:
            roles.append(slug)

    trainings = _row_trainings(first("trained"), first("training_date"), lookups, error, label)

    # notes
    col, notes = first("notes")
    if len(notes) > MAX_NOTES_CHARS:
        error(
            col,
            _("%(column)s: notes can be at most %(max)s characters long.")
            % {"column": label(col), "max": MAX_NOTES_CHARS},
        )

    if not result.errors:
        result.data = PersonData(
            name=name,
            phones=phones,
            email=email,
            language=language,
            other_languages=others,
            roles=roles or None,
            places=places or None,
            notes=notes or None,
            trainings=trainings,
        )


def _row_trainings(
    trained: tuple[int | None, str],
    dated: tuple[int | None, str],
    lookups: _Lookups,
    error: Any,
    label: Any,
) -> list[tuple[str, date]]:
    """(training type slug, completed on) from a training cell and a training-date cell.

    A training cell holds "yes" (the training chosen on the preview page), "no", or the
    names of trainings, each optionally with its own date: "Rapid responder (2024-03-15)".
    A date without a training column means the chosen training on that date.
    """
    date_col, date_text = dated
    when: date | None = None
    if date_text:
        when = parse_date(date_text, lookups.today)
        if when is None or when.year < 1980:
            error(
                date_col,
                _(
                    "%(column)s: Amparo cannot read this date, or cannot tell its day from "
                    "its month. Write it as year-month-day, like 2024-03-15."
                )
                % {"column": label(date_col)},
            )
            return []
        if when > lookups.today:
            error(
                date_col, _("%(column)s: this date is in the future.") % {"column": label(date_col)}
            )
            return []
    col, value = trained
    wanted: list[tuple[str, date | None]] = []
    if value:
        word = _heading_key(value) or value.strip()
        if word in YES:
            if not lookups.default_training:
                error(
                    col,
                    _("%(column)s: choose below which training a “yes” means.")
                    % {"column": label(col)},
                )
                return []
            wanted.append((lookups.default_training, None))
        elif word not in NO:
            for part in _SPLIT_NAMES.split(value):
                if not part:
                    continue
                own: date | None = None
                match = _TRAINING_WITH_DATE.match(part)
                if match and parse_date(match[2], lookups.today):
                    part, own = match[1], parse_date(match[2], lookups.today)
                slug = lookups.trainings.get(_heading_key(part))
                if slug is None:
                    error(
                        col,
                        _(
                            "%(column)s: a training here is not one of the network's "
                            "trainings: %(trainings)s."
                        )
                        % {"column": label(col), "trainings": ", ".join(lookups.training_labels)},
                    )
                    return []
                wanted.append((slug, own))
    elif when is not None and lookups.default_training:
        wanted.append((lookups.default_training, None))
    trainings: list[tuple[str, date]] = []
    for slug, own in wanted:
        completed = own or when
        if completed is None:
            error(
                date_col if date_col is not None else col,
                _(
                    "Trained, but the training date is missing: add the date (for example "
                    "2024-03-15) or clear the training cell."
                ),
            )
            return []
        if (slug, completed) not in trainings:
            trainings.append((slug, completed))
    return trainings


def _mapping_errors(columns: list[dict[str, str]]) -> list[str]:
    keys = [c["field"] for c in columns]
    errors = []
    if not {"name", "first_name", "last_name"} & set(keys):
        errors.append(
            _("Choose the column that holds names (or the columns of first and last names).")
        )
    if not {"phone", "email"} & set(keys):
        errors.append(
            _(
                "Choose at least one column with phone numbers or emails: Amparo uses them to "
                "reach people and to recognise them when a list is imported again."
            )
        )
    for key in sorted(set(keys) - MULTI_FIELDS - {""}):
        if keys.count(key) > 1:
            errors.append(
                _("Only one column can be “%(field)s”: set the others to “Do not import”.")
                % {"field": field_label(key)}
            )
    return errors


def _chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Union:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _merge(datas: list[PersonData], keep_email: str) -> PersonData:
    first = datas[0]
    merged = PersonData(name=first.name, email=keep_email)
    for data in datas:
        merged.phones += [p for p in data.phones if p not in merged.phones]
        if merged.language is None:
            merged.language = data.language
        if data.other_languages is not None:
            merged.other_languages = list(
                dict.fromkeys([*(merged.other_languages or []), *data.other_languages])
            )
        if data.roles:
            merged.roles = list(dict.fromkeys([*(merged.roles or []), *data.roles]))
        if data.places:
            merged.places = list(dict.fromkeys([*(merged.places or []), *data.places]))
        merged.trainings += [t for t in data.trainings if t not in merged.trainings]
        if data.notes:
            notes = [n for n in (merged.notes or "").split("\n\n") if n]
            if data.notes not in notes:
                merged.notes = "\n\n".join([*notes, data.notes])
    return merged


def _existing(
    network: Network, datas: list[PersonData]
) -> tuple[dict[str, set[int]], dict[str, int]]:
    """Who is already in the network, by phone (E.164 → person ids) and email (→ id),
    found through the blind indexes in batches."""
    phone_keys = {p: phone_index(p) for d in datas for p in d.phones}
    by_index: dict[str, set[int]] = {}
    for chunk in _chunks(sorted(set(phone_keys.values()))):
        for idx, pid in PersonPhone.objects.filter(
            person__network=network, number_index__in=chunk
        ).values_list("number_index", "person_id"):
            by_index.setdefault(idx, set()).add(pid)
    phone_people = {number: by_index.get(idx, set()) for number, idx in phone_keys.items()}
    email_keys = {email_index(d.email): d.email for d in datas if d.email}
    email_people: dict[str, int] = {}
    for chunk in _chunks(sorted(email_keys)):
        for idx, pid in Person.objects.filter(network=network, email_index__in=chunk).values_list(
            "email_index", "pk"
        ):
            email_people[email_keys[idx]] = pid
    return phone_people, email_people


def import_check(*, network: Network, payload: dict[str, Any]) -> ImportCheck:
    """Validate and group every row of a payload; writes nothing."""
    columns = payload["columns"]
    lookups = _Lookups(network, payload.get("training", ""))
    results = [
        RowResult(index=i, number=row["n"], skipped=bool(row.get("skip")))
        for i, row in enumerate(payload["rows"])
    ]
    mapping_errors = _mapping_errors(columns)
    if mapping_errors:
        for result in results:
            result.status = "skipped" if result.skipped else "new"
        return ImportCheck(rows=results, groups=[], mapping_errors=mapping_errors)
    valid: dict[int, PersonData] = {}
    for result in results:
        if not result.skipped:
            _row_parse(payload["rows"][result.index]["cells"], columns, lookups, result)
            if result.data is not None:
                valid[result.index] = result.data
    phone_people, email_people = _existing(network, list(valid.values()))

    # rows of the same person: same phone, same email, or the same person in the database
    union = _Union(len(results))
    owner: dict[str, int] = {}
    for index, data in valid.items():
        keys = [f"p:{p}" for p in data.phones] + ([f"e:{data.email}"] if data.email else [])
        target = email_people.get(data.email)
        if target is None:
            found = set().union(*(phone_people[p] for p in data.phones))
            target = next(iter(found)) if len(found) == 1 else None
        if target is not None:
            keys.append(f"x:{target}")
        for key in keys:
            union.join(owner.setdefault(key, index), index)
    members: dict[int, list[int]] = {}
    for index in valid:
        members.setdefault(union.find(index), []).append(index)

    groups: list[Group] = []
    by_target: dict[int, Group] = {}
    for indexes in members.values():
        group = _group_build(indexes, valid, phone_people, email_people)
        if isinstance(group, str):  # a problem that blocks every row of the group
            for i in indexes:
                results[i].errors.append((None, group))
                results[i].data = None
            continue
        if len({valid[i].email for i in indexes if valid[i].email}) > 1:
            results[indexes[0]].warnings.append(
                _("Only one email is kept per person: the first one.")
            )
        if group.target_id is not None and group.target_id in by_target:
            earlier = by_target[group.target_id]  # rare: joined only through the database
            earlier.rows += indexes
            earlier.data = _merge([earlier.data, group.data], earlier.data.email)
            continue
        if group.target_id is not None:
            by_target[group.target_id] = group
        groups.append(group)
    _explain(results, groups, valid)
    for result in results:
        if result.skipped:
            result.status = "skipped"
        elif result.errors:
            result.status = "error"
    groups.sort(key=lambda g: g.rows[0])
    return ImportCheck(rows=results, groups=groups, mapping_errors=[])


def _group_build(
    indexes: list[int],
    valid: dict[int, PersonData],
    phone_people: dict[str, set[int]],
    email_people: dict[str, int],
) -> Group | str:
    """One person from the rows that are them, matched to someone already in Amparo when
    the phone or email says so; or the message of a problem no merge can settle."""
    datas = [valid[i] for i in indexes]
    emails = [d.email for d in datas if d.email]
    by_email = {email_people[e] for e in emails if e in email_people}
    by_phone: set[int] = set()
    for data in datas:
        for number in data.phones:
            by_phone |= phone_people[number]
    target: int | None = None
    if len(by_email) > 1:
        return _(
            "These rows are one person by phone or email, but their emails belong to "
            "different people already in Amparo: correct them, or skip one of the rows."
        )
    if by_email:
        target = next(iter(by_email))
    elif len(by_phone) == 1:
        target = next(iter(by_phone))
    elif by_phone:  # a family's shared phone: the name says who
        names = _names(by_phone)
        same = [pid for pid, n in names.items() if any(fold(n) == fold(d.name) for d in datas)]
        if len(same) != 1:
            return _(
                "This phone number belongs to several people already in Amparo, none of them "
                "with this name: add the person's email to say who this is, or skip the row."
            )
        target = same[0]
    keep = [e for e in emails if target is not None and email_people.get(e) == target] + emails
    return Group(rows=indexes, data=_merge(datas, keep[0] if keep else ""), target_id=target)


def _explain(results: list[RowResult], groups: list[Group], valid: dict[int, PersonData]) -> None:
    """Statuses and warnings: already in Amparo (under another name?), merged rows."""
    known = _names({g.target_id for g in groups if g.target_id is not None})
    for group in groups:
        head = results[group.rows[0]]
        head.status = "existing" if group.target_id is not None else "new"
        if group.target_id is not None:
            if fold(known.get(group.target_id, "")) != fold(group.data.name):
                head.warnings.append(
                    _(
                        "Already in Amparo under another name (same phone or email): this "
                        "row's name will replace it. Skip the row if they are different people."
                    )
                )
            else:
                head.warnings.append(
                    _("Already in Amparo (same phone or email): new details will be added.")
                )
        for i in group.rows[1:]:
            row = results[i]
            row.status, row.duplicate_of = "duplicate", head.number
            if fold(valid[i].name) != fold(valid[group.rows[0]].name):
                row.warnings.append(
                    _(
                        "Same phone or email as row %(row)s but another name: they will be "
                        "merged into one person. If they are different people, give this row "
                        "its own phone or email, or skip it."
                    )
                    % {"row": head.number}
                )
            else:
                row.warnings.append(
                    _("Same person as row %(row)s (same phone or email): merged.")
                    % {"row": head.number}
                )


def _names(person_ids: set[int]) -> dict[int, str]:
    """Decrypt the names of these people only (to compare with a row's name)."""
    names: dict[int, str] = {}
    for chunk in _chunks(sorted(str(i) for i in person_ids)):
        for person in Person.objects.filter(pk__in=[int(i) for i in chunk]).only(
            "id", "name", "wrapped_key"
        ):
            names[person.pk] = person.name or ""
    return names


# --- writing ------------------------------------------------------------------------


@dataclass
class ImportOutcome:
    rows: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0
    skipped: int = 0
    errors: int = 0
    person_ids: list[int] = field(default_factory=list)

    def as_note(self) -> str:
        return (
            f"rows={self.rows} created={self.created} updated={self.updated} "
            f"unchanged={self.unchanged} merged={self.merged} skipped={self.skipped}"
        )


def _ready_or_raise(check: ImportCheck, skip_errors: bool) -> list[RowResult]:
    if check.mapping_errors:
        raise ImportNotReady(" ".join(check.mapping_errors))
    problems = check.problems()
    if problems and not skip_errors:
        raise ImportNotReady(
            ngettext(
                "%(count)s row still has a problem: fix it, or choose to skip it.",
                "%(count)s rows still have problems: fix them, or choose to skip them.",
                len(problems),
            )
            % {"count": len(problems)}
        )
    return problems


def import_apply(
    *,
    network: Network,
    check: ImportCheck,
    actor: User | None = None,
    skip_errors: bool = False,
    dry_run: bool = False,
) -> ImportOutcome:
    """Write every group of a checked payload in one transaction (rolled back if dry_run)."""
    problems = _ready_or_raise(check, skip_errors)
    outcome = ImportOutcome(
        rows=len(check.rows),
        skipped=sum(1 for r in check.rows if r.skipped or r.errors),
        errors=len(problems),
    )
    existing = Person.objects.filter(network=network).in_bulk(
        [g.target_id for g in check.groups if g.target_id is not None]
    )
    with transaction.atomic():
        for group in check.groups:
            person, result = person_upsert(
                network=network,
                data=group.data,
                source=Person.Source.IMPORT,
                actor=actor,
                existing=existing.get(group.target_id) if group.target_id else None,
            )
            setattr(outcome, result, getattr(outcome, result) + 1)
            outcome.merged += len(group.rows) - 1
            outcome.person_ids.append(person.pk)
        if dry_run:
            transaction.set_rollback(True)
    return outcome


# --- batches (the web page's steps, and the command's) ------------------------------


def import_batch_create(
    *, network: Network, actor: User | None, filename: str, stream: IO[bytes], size: int
) -> ImportBatch:
    """Read the file and keep its rows sealed in a new batch, ready for the preview."""
    payload = import_file_read(filename=filename, stream=stream, size=size)
    payload["training"] = default_training(network)
    batch = ImportBatch(
        network=network,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        filename=PurePath(filename or "").name[:200],
        file_sha256=payload.pop("sha256"),
        payload=payload,
        row_count=len(payload["rows"]),
    )
    batch.save()
    return batch


def _open_payload(batch: ImportBatch) -> dict[str, Any]:
    if batch.status != ImportBatch.Status.PREVIEW or not isinstance(batch.payload, dict):
        raise ImportNotReady(_("This import is finished: upload the file again to start over."))
    return batch.payload


def import_batch_check(*, batch: ImportBatch) -> ImportCheck:
    check = import_check(network=batch.network, payload=_open_payload(batch))
    error_count = len(check.problems())
    if batch.error_count != error_count:
        batch.error_count = error_count
        ImportBatch.objects.filter(pk=batch.pk).update(error_count=error_count)
    return check


def import_batch_update(
    *,
    batch: ImportBatch,
    mapping: list[str] | None = None,
    training: str | None = None,
    fixes: dict[int, dict[int, str]] | None = None,
    skips: dict[int, bool] | None = None,
) -> None:
    """Change the column mapping, the meaning of "yes" in a training column, cell values
    of rows (fixes: row index → column index → text) or which rows are skipped."""
    payload = _open_payload(batch)
    columns, rows = payload["columns"], payload["rows"]
    if mapping is not None:
        for column, key in zip(columns, mapping, strict=False):
            column["field"] = key if key in FIELD_KEYS else ""
    if training is not None:
        payload["training"] = training
    for index, cells in (fixes or {}).items():
        if 0 <= index < len(rows):
            row = rows[index]["cells"]
            row.extend([""] * (len(columns) - len(row)))
            for col, text in cells.items():
                if 0 <= col < len(columns):
                    row[col] = clean_cell(text)
    for index, skip in (skips or {}).items():
        if 0 <= index < len(rows):
            rows[index]["skip"] = bool(skip)
    batch.payload = payload
    batch.save(update_fields=["payload"])


def import_batch_run(
    *, batch: ImportBatch, actor: User | None = None, skip_errors: bool = False
) -> ImportOutcome:
    """Import a previewed batch in one transaction; then drop its rows, keeping counts.

    A failure saves nothing of the import: the batch is marked failed, its rows are
    dropped, and :class:`ImportFailed` is raised.
    """
    check = import_check(network=batch.network, payload=_open_payload(batch))
    _ready_or_raise(check, skip_errors)
    now = timezone.now()
    try:
        with transaction.atomic():
            claimed = ImportBatch.objects.filter(
                pk=batch.pk, status=ImportBatch.Status.PREVIEW
            ).update(status=ImportBatch.Status.IMPORTED, payload=None, finished_at=now)
            if claimed != 1:
                raise ImportNotReady(_("This import has already been run."))
            outcome = import_apply(
                network=batch.network, check=check, actor=actor, skip_errors=skip_errors
            )
            ImportBatch.objects.filter(pk=batch.pk).update(
                row_count=outcome.rows,
                error_count=outcome.errors,
                created_count=outcome.created,
                updated_count=outcome.updated,
                unchanged_count=outcome.unchanged,
                skipped_count=outcome.skipped,
            )
            audit_record(
                action=AuditEvent.Action.CREATE,
                actor=actor,
                network=batch.network,
                obj=batch,
                note=outcome.as_note(),
            )
    except ImportNotReady:
        raise
    except Exception as exc:
        # Never the exception's text: it could quote a value.
        logger.error("import batch %s failed (%s); nothing was saved", batch.pk, type(exc).__name__)
        ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.PREVIEW).update(
            status=ImportBatch.Status.FAILED, payload=None, finished_at=timezone.now()
        )
        batch.refresh_from_db()
        raise ImportFailed(
            _("The import failed and nothing was saved. Upload the file again to retry.")
        ) from exc
    batch.refresh_from_db()
    return outcome


def import_batch_abandon(*, batch: ImportBatch) -> None:
    ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.PREVIEW).update(
        status=ImportBatch.Status.ABANDONED, payload=None, finished_at=timezone.now()
    )
    batch.refresh_from_db()


def import_batches_purge(*, older_than: timedelta = timedelta(days=7)) -> int:
    """Abandon previews left unfinished, dropping their rows (for a periodic job)."""
    return ImportBatch.objects.filter(
        status=ImportBatch.Status.PREVIEW, created_at__lt=timezone.now() - older_than
    ).update(status=ImportBatch.Status.ABANDONED, payload=None, finished_at=timezone.now())
