"""Which field each column holds: the fields, the English and Spanish headings that
name them, finding the heading row of a sheet, and checking a mapping."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amparo.lib.crypto.blind import fold

from .errors import ImportFileError

HEADER_SCAN_ROWS = 10


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


# --- finding the heading row -------------------------------------------------------


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


# --- checking a mapping ------------------------------------------------------------


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
