"""Reading an uploaded CSV or XLSX file into a payload, within limits; never executes it."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from pathlib import PurePath
from typing import IO, Any

from django.utils.translation import gettext as _

from .errors import ImportFileError
from .mapping import HEADER_SCAN_ROWS, _headings_find

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # refused before anything is parsed
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # an XLSX is a zip: refuse decompression bombs
MAX_ROWS = 20_000
MAX_COLUMNS = 50
MAX_CELL_CHARS = 2_000
EMPTY_ROWS_STOP = 1_000  # a sheet "used" down to row 1,048,576 ends here
PAYLOAD_VERSION = 1

CSV_EXTENSIONS = {".csv", ".tsv", ".txt", ""}
XLSX_EXTENSIONS = {".xlsx"}

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


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
