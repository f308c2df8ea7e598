"""Forms of the import and export pages. They parse and validate; services do the work."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any, cast

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amparo.accounts.models import Network
from amparo.lib.uploads import BUSY, upload_refusal

from .importing import (
    CSV_EXTENSIONS,
    FIELDS,
    MAX_CELL_CHARS,
    MAX_UPLOAD_BYTES,
    XLSX_EXTENSIONS,
    ImportCheck,
    RowResult,
    column_label,
)
from .models import TrainingType

#: Django refuses a POST with more fields than this (settings); stay well below it.
MAX_FORM_FIELDS = 400
MAX_PROBLEM_ROWS = 25
MAX_SKIPPED_SHOWN = 50
#: The stylesheet makes inputs full width; a checkbox or radio button stays its own size.
INLINE = {"style": "width:auto"}


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet"),
        help_text=gettext_lazy(
            "A CSV file or an Excel workbook (.xlsx), at most 10 MB, with one row of column "
            "headings (such as Name, Phone, Email, Town) and one person per row."
        ),
        allow_empty_file=True,  # the service explains an empty file in its own words
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.tsv,.txt,.xlsx"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if getattr(upload, "reason", "") == BUSY:  # not received (amparo/lib/uploads.py)
            raise forms.ValidationError(upload_refusal(upload), code="busy")
        # The size counted while the upload arrived (in memory): nothing is read here.
        if upload.size > MAX_UPLOAD_BYTES or upload_refusal(upload):
            raise forms.ValidationError(
                _(
                    "This file is larger than %(limit)s MB. Split it into smaller files, or "
                    "remove the columns Amparo does not need, and upload it again."
                )
                % {"limit": MAX_UPLOAD_BYTES // (1024 * 1024)},
                code="too_big",
            )
        suffix = PurePath(upload.name or "").suffix.lower()
        if suffix not in CSV_EXTENSIONS | XLSX_EXTENSIONS:
            raise forms.ValidationError(
                _(
                    "Amparo can read CSV files (.csv, .tsv or .txt) and Excel workbooks "
                    "(.xlsx). Save the spreadsheet in one of these formats and upload it again."
                ),
                code="wrong_type",
            )
        return upload


def _field_choices() -> list[tuple[str, Any]]:
    return [("", gettext_lazy("Do not import")), *((k, label) for k, label, _m in FIELDS)]


class ImportPreviewForm(forms.Form):
    """The preview page: column mapping, what "yes" means in a training column, the cells
    of rows with problems (to fix them) and which rows to skip.

    Fields are made per column (``col-3``), per problem cell (``cell-<row>-<column>``), per
    problem row (``skip-<row>``) and per skipped row (``unskip-<row>``). Only the first
    problem rows are shown, so that the form stays under Django's limit of fields.
    """

    action = forms.ChoiceField(
        choices=[("check", "check"), ("import", "import")], required=False, initial="check"
    )
    skip_errors = forms.BooleanField(
        required=False,
        label=gettext_lazy("Skip every row that still has a problem"),
        widget=forms.CheckboxInput(attrs=INLINE),
    )
    training = forms.ChoiceField(
        required=False,
        label=gettext_lazy("A “yes” in the training column means"),
        help_text=gettext_lazy("Rows with a training also need the date it was completed."),
    )

    def __init__(
        self,
        *args: Any,
        payload: dict[str, Any],
        check: ImportCheck,
        network: Network,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.payload = payload
        self.check = check
        columns = payload["columns"]
        self.mapped = [i for i, c in enumerate(columns) if c["field"]]
        training = cast(forms.ChoiceField, self.fields["training"])
        training.choices = [
            ("", _("Nothing: a “yes” is a problem to fix")),
            *((t.slug, t.label) for t in TrainingType.objects.filter(network=network)),
        ]
        self.fields["training"].initial = payload.get("training", "")
        self.fields["training"].widget.attrs["aria-describedby"] = "id_training-help"
        for i, column in enumerate(columns):
            name = f"col-{i}"
            self.fields[name] = forms.ChoiceField(
                choices=_field_choices(),
                required=False,
                label=column_label(i, column["header"]),
                initial=column["field"],
            )
        budget = MAX_FORM_FIELDS - len(columns) - 10
        per_row = len(self.mapped) + 1
        self.problem_rows: list[RowResult] = check.problems()[
            : max(1, min(MAX_PROBLEM_ROWS, budget // per_row))
        ]
        rows = payload["rows"]
        for row in self.problem_rows:
            cells = rows[row.index]["cells"]
            for col in self.mapped:
                self.fields[f"cell-{row.index}-{col}"] = forms.CharField(
                    required=False,
                    strip=False,
                    max_length=MAX_CELL_CHARS,
                    label=column_label(col, columns[col]["header"]),
                    initial=cells[col] if col < len(cells) else "",
                )
            self.fields[f"skip-{row.index}"] = forms.BooleanField(
                required=False, label=_("Skip this row"), widget=forms.CheckboxInput(attrs=INLINE)
            )
        self.skipped_rows = [r for r in check.rows if r.skipped][:MAX_SKIPPED_SHOWN]
        for row in self.skipped_rows:
            self.fields[f"unskip-{row.index}"] = forms.BooleanField(
                required=False,
                label=_("Row %(row)s: import it after all") % {"row": row.number},
                widget=forms.CheckboxInput(attrs=INLINE),
            )

    # --- what the page shows ----------------------------------------------------------

    def mapping_fields(self) -> list[dict[str, Any]]:
        columns, rows = self.payload["columns"], self.payload["rows"]
        out = []
        for i, _column in enumerate(columns):
            samples = [r["cells"][i] for r in rows[:50] if i < len(r["cells"]) and r["cells"][i]]
            bound = self[f"col-{i}"]
            if samples:
                bound.field.widget.attrs["aria-describedby"] = f"{bound.id_for_label}-help"
            out.append({"field": bound, "samples": samples[:3]})
        return out

    def problem_blocks(self) -> list[dict[str, Any]]:
        blocks = []
        for row in self.problem_rows:
            by_col: dict[int | None, list[str]] = {}
            for col, message in row.errors:
                by_col.setdefault(col if col in self.mapped else None, []).append(message)
            cells = []
            for col in self.mapped:
                bound = self[f"cell-{row.index}-{col}"]
                if by_col.get(col):
                    bound.field.widget.attrs["aria-invalid"] = "true"
                    bound.field.widget.attrs["aria-describedby"] = f"{bound.id_for_label}-error"
                cells.append({"field": bound, "errors": by_col.get(col, [])})
            blocks.append(
                {
                    "row": row,
                    "errors": by_col.get(None, []),
                    "cells": cells,
                    "skip": self[f"skip-{row.index}"],
                }
            )
        return blocks

    def skipped_fields(self) -> list[Any]:
        return [self[f"unskip-{row.index}"] for row in self.skipped_rows]

    # --- what the service is given ----------------------------------------------------

    def mapping(self) -> list[str]:
        return [
            self.cleaned_data.get(f"col-{i}") or "" for i in range(len(self.payload["columns"]))
        ]

    def fixes(self) -> dict[int, dict[int, str]]:
        return {
            row.index: {
                col: self.cleaned_data.get(f"cell-{row.index}-{col}", "") for col in self.mapped
            }
            for row in self.problem_rows
        }

    def skips(self) -> dict[int, bool]:
        skips = {
            row.index: bool(self.cleaned_data.get(f"skip-{row.index}")) for row in self.problem_rows
        }
        for row in self.skipped_rows:
            if self.cleaned_data.get(f"unskip-{row.index}"):
                skips[row.index] = False
        return skips


class ExportReasonForm(forms.Form):
    """Why a list of people is needed: the approver reads it (sealed once saved)."""

    reason = forms.CharField(
        label=gettext_lazy("Why is this list needed?"),
        help_text=gettext_lazy("The person who approves it reads this."),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": gettext_lazy("Say why this list is needed.")},
    )


class ExportForm(ExportReasonForm):
    format = forms.ChoiceField(
        label=gettext_lazy("File format"),
        choices=[
            ("xlsx", gettext_lazy("Excel workbook (.xlsx)")),
            ("csv", gettext_lazy("CSV file (.csv)")),
        ],
        initial="xlsx",
        widget=forms.RadioSelect(attrs=INLINE),
    )
