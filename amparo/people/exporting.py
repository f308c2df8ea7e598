"""Exporting a filtered list of people to CSV or XLSX.

An export is the prize an adversary wants (every name and number), so it needs
``Cap.MEMBERS_EXPORT``, every export is written to the audit log (format and row
count, never a name or a filter's text), only the exported fields are decrypted (no
notes), and every cell is escaped against spreadsheet formula injection.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User
from amparo.lib.crypto.blind import fold
from amparo.lib.phones import display_phone

from .counts import people_count
from .filters import PeopleFilter
from .models import Person, PersonArea, PersonPhone, PersonTraining, Segment

#: A cell starting with one of these is a formula to Excel, LibreOffice or Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MAX_LIST_VALUES = 50


def cell_escape(value: Any) -> str:
    """Text for a spreadsheet cell that no spreadsheet will run as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


# --- which people ----------------------------------------------------------------------


def people_filter_from_query(
    *, query: Mapping[str, Any], segment: Segment | None = None
) -> PeopleFilter:
    """A PeopleFilter from a saved segment, or from GET parameters (lists repeated or
    comma-separated: ``?roles=driver&languages=es,en&places=3``). A name (``q``) in the
    query is ignored: personal data never travels in a URL."""
    if segment is not None:
        return PeopleFilter.from_dict(segment.filters)

    def strings(key: str) -> list[str]:
        getlist = getattr(query, "getlist", None)
        raw = getlist(key) if getlist else [query.get(key, "")]
        values = [part.strip() for v in raw for part in str(v or "").split(",") if part.strip()]
        return [v[:60] for v in values[:MAX_LIST_VALUES]]

    def number(key: str, low: int = 1, high: int = 3650) -> int | None:
        try:
            value = int(str(query.get(key, "")).strip())
        except ValueError:
            return None
        return value if low <= value <= high else None

    def flag(key: str) -> bool | None:
        value = str(query.get(key, "")).strip().lower()
        return {"1": True, "true": True, "yes": True, "on": True, "0": False}.get(
            value, False if value in {"false", "no", "off"} else None
        )

    statuses = [s for s in strings("statuses") if s in Person.Status.values]
    return PeopleFilter(
        roles=strings("roles"),
        languages=strings("languages"),
        places=[int(p) for p in strings("places") if p.isdigit()],
        trained=strings("trained"),
        trained_within_days=number("trained_within_days"),
        committees=strings("committees"),
        available_now=flag("available_now"),
        statuses=statuses,
        participated_days=number("participated_days"),
        participated_min=number("participated_min", 1, 1000) or 1,
    )


#: People read and written per chunk, the same in the immediate and the background path.
EXPORT_CHUNK = 500


def _prefetched(qs: Any) -> Any:
    """People with what an export shows, prefetched (still encrypted)."""
    return qs.prefetch_related(
        Prefetch(
            "phones",
            queryset=PersonPhone.objects.filter(dead_at__isnull=True).order_by("-is_primary", "id"),
        ),
        "roles",
        Prefetch("areas", queryset=PersonArea.objects.exclude(place=None).select_related("place")),
        Prefetch(
            "trainings",
            queryset=PersonTraining.objects.select_related("training_type").order_by(
                "completed_on", "id"
            ),
        ),
    )


def export_ids(*, network: Network, people_filter: PeopleFilter) -> list[int]:
    """The ids of the filter's people, in order: what an export holds, chunk by chunk."""
    return list(people_filter.apply(network).order_by("pk").values_list("pk", flat=True))


def export_rows_for(*, network: Network, ids: list[int]) -> list[list[str]]:
    """The exported rows of one chunk of people (ids from :func:`export_ids`): the one
    way rows are made, for a file made at once or in the background."""
    people = _prefetched(Person.objects.filter(network=network, pk__in=ids).order_by("pk"))
    return [export_row(p) for p in people]


# --- what is written ------------------------------------------------------------------


def export_headers() -> list[str]:
    # Headings the importer recognises, so an export can be imported again.
    return [
        _("Name"),
        _("Phone"),
        _("Other phones"),
        _("Email"),
        _("Preferred language"),
        _("Other languages"),
        _("Towns or ZIP codes"),
        _("Roles"),
        _("Trainings"),
        _("Status"),
    ]


def _language_name(code: str) -> str:
    return str(dict(settings.LANGUAGES).get(code, code))


def export_row(person: Person) -> list[str]:
    """One person's exported cells: decrypts the name, email and live phone numbers only."""
    phones = [display_phone(p.number or "") for p in person.phones.all()]
    return [
        person.name or "",
        phones[0] if phones else "",
        "; ".join(phones[1:]),
        person.email or "",
        _language_name(person.language),
        ", ".join(_language_name(c) for c in person.speaks()[1:]),
        "; ".join(a.place.name for a in person.areas.all() if a.place is not None),
        ", ".join(r.label for r in person.roles.all()),
        "; ".join(
            f"{t.training_type.label} ({t.completed_on.isoformat()})"
            for t in person.trainings.all()
        ),
        str(person.get_status_display()),
    ]


def _csv_bytes(header: list[str], rows: Iterable[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell_escape(c) for c in header])
    for row in rows:
        writer.writerow([cell_escape(c) for c in row])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")  # the BOM tells Excel it is UTF-8


def _xlsx_bytes(header: list[str], rows: Iterable[list[str]]) -> bytes:
    """The workbook, built in memory only: openpyxl writes each worksheet to a temporary
    file in clear before zipping it (in write-only and normal mode alike), so the sheet
    here is written to a BytesIO (uncompressed XML, about 3 MB for 10,000 people) and
    zipped from there; nothing with a name or a number touches the disk unsealed."""
    from zipfile import ZIP_DEFLATED, ZipFile

    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.worksheet._writer import WorksheetWriter
    from openpyxl.writer.excel import ExcelWriter

    def clean(value: str) -> str:
        return cell_escape(ILLEGAL_CHARACTERS_RE.sub("", value))

    class InMemory(ExcelWriter):
        def write_worksheet(self, ws: Any) -> None:  # ExcelWriter's, the sheet kept in memory
            ws.close()
            ws._drawing = None  # no charts nor images in an export
            ws._rels = ws._writer._rels
            archive.writestr(ws.path[1:], ws._writer.out.getvalue())
            self.manifest.append(ws)

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("People"))
    sheet._writer = WorksheetWriter(sheet, out=io.BytesIO())  # before openpyxl makes a file
    sheet._writer.write_top()
    sheet.append([clean(c) for c in header])
    for row in rows:
        sheet.append([clean(c) for c in row])
    out = io.BytesIO()
    with ZipFile(out, "w", ZIP_DEFLATED) as archive:
        InMemory(workbook, archive).save()
    return out.getvalue()


@dataclass
class ExportFile:
    filename: str
    content_type: str
    content: bytes
    rows: int


def export_content(rows: list[list[str]], file_format: str) -> bytes:
    """The file's bytes: the rows sorted by name, under the headings."""
    if file_format not in FORMATS:
        raise ValueError("unknown export format")
    rows = sorted(rows, key=lambda r: fold(r[0]))
    header = export_headers()
    return _csv_bytes(header, rows) if file_format == "csv" else _xlsx_bytes(header, rows)


def export_filename(network: Network, file_format: str) -> str:
    return f"people-{network.slug}-{timezone.localdate().isoformat()}.{file_format}"


def export_audit(
    *, network: Network, actor: User | Any, file_format: str, rows: int, segment: Segment | None
) -> None:
    """The audit line of an export: its format and how many people, never a name."""
    audit_record(
        action=AuditEvent.Action.EXPORT,
        actor=actor,
        network=network,
        obj=segment,
        note=f"people {file_format} rows={rows}",
    )


def people_export(
    *,
    network: Network,
    actor: User | Any,
    people_filter: PeopleFilter,
    file_format: str,
    segment: Segment | None = None,
) -> ExportFile:
    """Export the filter's people here and now, and write it to the audit log (a small
    export; a large one is made in the background: :mod:`.export_files`)."""
    if file_format not in FORMATS:
        raise ValueError("unknown export format")
    ids = export_ids(network=network, people_filter=people_filter)
    rows = [
        row
        for start in range(0, len(ids), EXPORT_CHUNK)
        for row in export_rows_for(network=network, ids=ids[start : start + EXPORT_CHUNK])
    ]
    content = export_content(rows, file_format)
    export_audit(
        network=network, actor=actor, file_format=file_format, rows=len(rows), segment=segment
    )
    return ExportFile(
        filename=export_filename(network, file_format),
        content_type=FORMATS[file_format],
        content=content,
        rows=len(rows),
    )


def export_count(*, network: Network, people_filter: PeopleFilter) -> int:
    return people_count(network, people_filter)
