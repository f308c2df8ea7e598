"""Translation catalogues without GNU gettext: Babel extracts, merges and compiles.

Templates are first turned into Python-like text by Django's ``templatize`` (as
makemessages does). The compiled ``.mo`` files are committed."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from django.utils.translation.template import templatize

PACKAGE = Path(__file__).resolve().parent.parent
LOCALE_DIR = PACKAGE / "locale"
LANGUAGES = ["es"]
DOMAIN = "django"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}
SKIP_DIRS = {"tests", "migrations", "__pycache__"}


def _source_files() -> Iterator[Path]:
    for path in sorted(PACKAGE.rglob("*")):
        if SKIP_DIRS & set(path.relative_to(PACKAGE).parts):
            continue
        if path.suffix in {".py", ".html", ".txt"} and path.is_file():
            if path.suffix == ".txt" and "templates" not in path.parts:
                continue
            yield path


def extract_messages() -> Catalog:
    catalog = Catalog(project="amparo", charset="utf-8")
    for path in _source_files():
        text = path.read_text(encoding="utf-8")
        if path.suffix != ".py":
            # templatize keeps the template's indentation, which Python's tokenizer may
            # reject; its strings are single-line literals, so dedenting is safe.
            text = "\n".join(
                line.lstrip() for line in templatize(text, origin=str(path)).splitlines()
            )
        rel = str(path.relative_to(PACKAGE.parent))
        for lineno, msgid, comments, context in extract(
            "python",
            io.BytesIO(text.encode("utf-8")),
            keywords=KEYWORDS,
            comment_tags=("Translators:",),
        ):
            catalog.add(msgid, locations=[(rel, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_po(language: str) -> Catalog:
    path = po_path(language)
    if not path.exists():
        return Catalog(locale=language, project="amparo", charset="utf-8")
    with path.open("rb") as fh:
        return read_po(fh, locale=language)


def update_catalogs() -> dict[str, int]:
    """Merge new strings into each .po, then compile it; returns missing translations."""
    template = extract_messages()
    missing: dict[str, int] = {}
    for language in LANGUAGES:
        catalog = load_po(language)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        catalog.fuzzy = False
        catalog.project, catalog.version = "amparo", "1"
        catalog.copyright_holder = "Amparo contributors"
        catalog.msgid_bugs_address = ""
        catalog.last_translator = "Amparo contributors"
        catalog.language_team = "Spanish"
        path = po_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(fh, catalog, width=100, omit_header=False, sort_output=True)
        compile_catalog(language)
        missing[language] = sum(1 for m in catalog if m.id and not _translated(m.string))
    return missing


def _translated(string: object) -> bool:
    if isinstance(string, tuple | list):
        return all(string)
    return bool(string)


def compile_catalog(language: str) -> bytes:
    catalog = load_po(language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    data = buffer.getvalue()
    po_path(language).with_suffix(".mo").write_bytes(data)
    return data
