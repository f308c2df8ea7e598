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
3. :func:`import_batch_start` queues the batch; a Huey task (:func:`import_batch_work`)
   writes the groups in chunks of short transactions through the bulk path
   (:mod:`amparo.people.bulk`), recording its progress with each chunk, so a crash
   resumes where it stopped and the page shows a progress bar. :func:`import_apply`
   writes in one transaction (the dry run). Importing the same file twice leaves
   everything "unchanged".

On the web the payload lives sealed in ``ImportBatch.payload`` between steps, and is
dropped (set to None) as soon as the import finishes, fails or is abandoned: only
counts stay. No message or log line carries a cell's value.

The modules, each one step:

- :mod:`.reading`: file type, CSV and XLSX reading, the limits, the payload;
- :mod:`.mapping`: the fields, the headings that name them, the heading row, the mapping;
- :mod:`.rows`: one row's cells checked and read into :class:`PersonData`;
- :mod:`.checking`: every row checked, the rows of one person grouped;
- :mod:`.batches`: writing, and the steps of an ``ImportBatch``;
- :mod:`.work`: the background import (queue, chunks, progress, cancel, resume);
- :mod:`.errors`: the errors, each with a message for a person.

Everything public is imported here: import it from ``amparo.people.importing``.
"""

from __future__ import annotations

from .batches import (
    ImportOutcome,
    import_apply,
    import_batch_abandon,
    import_batch_check,
    import_batch_create,
    import_batch_run,
    import_batch_update,
    import_batches_purge,
)
from .checking import Group, ImportCheck, import_check
from .errors import ImportFailed, ImportFileError, ImportNotReady
from .mapping import (
    FIELD_KEYS,
    FIELDS,
    HEADER_SCAN_ROWS,
    HEADINGS,
    MULTI_FIELDS,
    NAME_FIELDS,
    column_label,
    column_letter,
    field_label,
    heading_field,
)
from .reading import (
    CSV_EXTENSIONS,
    EMPTY_ROWS_STOP,
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_UNPACKED_BYTES,
    MAX_UPLOAD_BYTES,
    PAYLOAD_VERSION,
    XLSX_EXTENSIONS,
    clean_cell,
    import_file_read,
    payload_build,
)
from .rows import (
    LANGUAGE_NAMES,
    MAX_NAME_CHARS,
    MAX_NOTES_CHARS,
    MAX_PHONES,
    NO,
    YES,
    RowResult,
    default_training,
    parse_date,
)
from .work import (
    CHUNK_GROUPS,
    WorkStats,
    import_batch_cancel,
    import_batch_start,
    import_batch_task,
    import_batch_work,
    import_batches_resume,
)

__all__ = [
    "CHUNK_GROUPS",
    "WorkStats",
    "import_batch_cancel",
    "import_batch_start",
    "import_batch_task",
    "import_batch_work",
    "import_batches_resume",
    "CSV_EXTENSIONS",
    "EMPTY_ROWS_STOP",
    "FIELDS",
    "FIELD_KEYS",
    "HEADER_SCAN_ROWS",
    "HEADINGS",
    "LANGUAGE_NAMES",
    "MAX_CELL_CHARS",
    "MAX_COLUMNS",
    "MAX_NAME_CHARS",
    "MAX_NOTES_CHARS",
    "MAX_PHONES",
    "MAX_ROWS",
    "MAX_UNPACKED_BYTES",
    "MAX_UPLOAD_BYTES",
    "MULTI_FIELDS",
    "NAME_FIELDS",
    "NO",
    "PAYLOAD_VERSION",
    "XLSX_EXTENSIONS",
    "YES",
    "Group",
    "ImportCheck",
    "ImportFailed",
    "ImportFileError",
    "ImportNotReady",
    "ImportOutcome",
    "RowResult",
    "clean_cell",
    "column_label",
    "column_letter",
    "default_training",
    "field_label",
    "heading_field",
    "import_apply",
    "import_batch_abandon",
    "import_batch_check",
    "import_batch_create",
    "import_batch_run",
    "import_batch_update",
    "import_batches_purge",
    "import_check",
    "import_file_read",
    "parse_date",
    "payload_build",
]
