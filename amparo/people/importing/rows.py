"""Checking one row: its cells read into :class:`PersonData`, or its errors explained
for a person."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.models import Network
from amparo.lib.crypto.blind import fold
from amparo.lib.phones import normalize_phone

from ..models import PersonRole, TrainingType
from ..services import PersonData, place_lookup
from .mapping import NAME_FIELDS, _heading_key, column_label

MAX_NAME_CHARS = 200
MAX_NOTES_CHARS = 2_000
MAX_PHONES = 10

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
_TRAINING_WITH_DATE = re.compile(r"^(.*?)\s*\(([^()]*)\)$")


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


class _Lookups:
    """The network's roles, training types and places, matched by folded text, cached."""

    def __init__(self, network: Network, training: str) -> None:
        self.network = network
        self.roles, self.role_labels = _slugs(PersonRole.objects.filter(network=network))
        self.trainings, self.training_labels = _slugs(TrainingType.objects.filter(network=network))
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


def _slugs(kinds: Iterable[PersonRole | TrainingType]) -> tuple[dict[str, str], list[str]]:
    """Each slug by every way it is written (the slug, with spaces, its names), and the labels."""
    slugs: dict[str, str] = {}
    labels = []
    for kind in kinds:
        labels.append(kind.label)
        for text in [kind.slug, kind.slug.replace("-", " "), *(kind.name or {}).values()]:
            slugs.setdefault(_heading_key(text), kind.slug)
    return slugs, labels


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


class _Cells:
    """One row's non-empty cells by field (a formula is refused, never read), and where
    its errors go."""

    def __init__(
        self, cells: list[str], columns: list[dict[str, str]], lookups: _Lookups, result: RowResult
    ) -> None:
        self.columns, self.lookups, self.result = columns, lookups, result
        self.values: dict[str, list[tuple[int, str]]] = {}
        for col, column in enumerate(columns):
            key = column["field"]
            value = cells[col] if col < len(cells) else ""
            if not key or not value:
                continue
            if value.startswith("="):
                self.error(
                    col,
                    _(
                        "%(column)s: this cell holds a formula. Amparo never runs formulas: "
                        "type the value itself."
                    ),
                )
                continue
            self.values.setdefault(key, []).append((col, value))

    def first(self, key: str) -> tuple[int | None, str]:
        found = self.values.get(key)
        return found[0] if found else (None, "")

    def error(self, col: int | None, message: str, **more: object) -> None:
        """``message`` (translated) with its column's name for %(column)s, and ``more``."""
        label = column_label(col, self.columns[col]["header"]) if col is not None else ""
        self.result.errors.append((col, message % {"column": label, **more}))

    def erred(self, fields: Iterable[str]) -> bool:
        """Whether a column of one of these fields has an error already."""
        cols = {i for i, c in enumerate(self.columns) if c["field"] in fields}
        return any(c in cols for c, _m in self.result.errors)


def _row_parse(
    cells: list[str], columns: list[dict[str, str]], lookups: _Lookups, result: RowResult
) -> None:
    """Fill ``result`` with the row's PersonData, or with its errors."""
    row = _Cells(cells, columns, lookups, result)
    name = _row_name(row)
    phones = _row_phones(row)
    email = _row_email(row)
    if not phones and not email and not row.erred(("phone", "email")):
        row.error(
            None,
            _(
                "No phone number or email: Amparo needs one to reach this person and to "
                "recognise them when a list is imported again. Add one, or skip this row."
            ),
        )
    language, others = _row_languages(row)
    places = _row_places(row)
    roles = _row_roles(row)
    trainings = _row_trainings(row)
    col, notes = row.first("notes")
    if len(notes) > MAX_NOTES_CHARS:
        row.error(
            col, _("%(column)s: notes can be at most %(max)s characters long."), max=MAX_NOTES_CHARS
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


def _row_name(row: _Cells) -> str:
    """The name column, or the first and last name columns joined."""
    col, name = row.first("name")
    if not name:
        parts = row.values.get("first_name", []) + row.values.get("last_name", [])
        name = " ".join(v for _c, v in parts)
        col = parts[0][0] if parts else None
    name = " ".join(name.split())
    if not name and not row.erred(NAME_FIELDS):
        cols = [i for i, c in enumerate(row.columns) if c["field"] in NAME_FIELDS]
        row.error(cols[0] if cols else None, _("The name is missing."))
    elif len(name) > MAX_NAME_CHARS:
        row.error(
            col, _("%(column)s: a name can be at most %(max)s characters long."), max=MAX_NAME_CHARS
        )
    return name


def _row_phones(row: _Cells) -> list[str]:
    phones: list[str] = []
    for col, value in row.values.get("phone", []):
        for part in _SPLIT_PHONES.split(value):
            if not part:
                continue
            try:
                number = normalize_phone(part)
            except ValidationError as exc:
                row.error(col, _("%(column)s: %(problem)s"), problem=exc.messages[0])
                break
            if number not in phones:
                phones.append(number)
    if len(phones) > MAX_PHONES:
        row.result.warnings.append(
            _("Only the first %(max)s phone numbers are kept.") % {"max": MAX_PHONES}
        )
    return phones[:MAX_PHONES]


def _row_email(row: _Cells) -> str:
    col, value = row.first("email")
    if not value:
        return ""
    candidates = [e for e in re.split(r"[\s,;]+", value.lower()) if e]
    email = ""
    try:
        validate_email(candidates[0])
        email = candidates[0]
    except ValidationError:
        row.error(col, _("%(column)s: this is not an email address."))
    if len(candidates) > 1:
        row.result.warnings.append(_("Only one email is kept per person: the first one."))
    return email


def _row_languages(row: _Cells) -> tuple[str | None, list[str] | None]:
    """The language to write to them in, and the others they speak."""
    language: str | None = None
    others: list[str] | None = None
    col, value = row.first("language")
    codes = _languages(value) if value else []
    if value and not codes:
        row.error(col, _("%(column)s: Amparo does not recognise this language."))
    elif codes and codes[0] not in row.lookups.offered:
        row.error(
            col,
            _(
                "%(column)s: Amparo can write to people only in %(languages)s. Write one of "
                "them here, and other languages in the column of other languages spoken."
            ),
            languages=", ".join(str(n) for _c, n in settings.LANGUAGES),
        )
    elif codes:
        language, others = codes[0], codes[1:] or None
    col, value = row.first("other_languages")
    more = _languages(value) if value else []
    if more is None:
        row.error(
            col,
            _(
                "%(column)s: Amparo does not recognise one of these languages. Write their "
                "names or two-letter codes (pt, fr…), separated by commas."
            ),
        )
    elif value:
        others = list(dict.fromkeys([*(others or []), *more]))[:10]
    return language, others


def _row_places(row: _Cells) -> list[int]:
    places: list[int] = []
    for col, value in row.values.get("place", []):
        for part in _SPLIT_PLACES.split(value):
            place_id = row.lookups.place(part) if part else 0
            if place_id is None:
                row.error(
                    col,
                    _(
                        "%(column)s: this town or ZIP code is not in the network's list of "
                        "places. Correct it, leave the cell empty, or ask a coordinator to "
                        "add the place."
                    ),
                )
                break
            if place_id and place_id not in places:
                places.append(place_id)
    return places


def _row_roles(row: _Cells) -> list[str]:
    roles: list[str] = []
    col, value = row.first("roles")
    for part in _SPLIT_NAMES.split(value) if value else []:
        slug = row.lookups.roles.get(_heading_key(part)) if _heading_key(part) else ""
        if slug is None:
            row.error(
                col,
                _("%(column)s: a role here is not one of the network's roles: %(roles)s."),
                roles=", ".join(row.lookups.role_labels),
            )
            break
        if slug and slug not in roles:
            roles.append(slug)
    return roles


def _row_trainings(row: _Cells) -> list[tuple[str, date]]:
    """(training type slug, completed on) from a training cell and a training-date cell.

    A training cell holds "yes" (the training chosen on the preview page), "no", or the
    names of trainings, each optionally with its own date: "Rapid responder (2024-03-15)".
    A date without a training column means the chosen training on that date.
    """
    date_col, date_text = row.first("training_date")
    when = _training_date(row, date_col, date_text) if date_text else None
    wanted = _trainings_named(row, when) if when or not date_text else None
    trainings: list[tuple[str, date]] = []
    for slug, own in wanted or []:
        completed = own or when
        if completed is None:
            row.error(
                date_col if date_col is not None else row.first("trained")[0],
                _(
                    "Trained, but the training date is missing: add the date (for example "
                    "2024-03-15) or clear the training cell."
                ),
            )
            return []
        if (slug, completed) not in trainings:
            trainings.append((slug, completed))
    return trainings


def _training_date(row: _Cells, col: int | None, text: str) -> date | None:
    """The training-date cell's date, or None with an error."""
    when = parse_date(text, row.lookups.today)
    if when is None or when.year < 1980:
        row.error(
            col,
            _(
                "%(column)s: Amparo cannot read this date, or cannot tell its day from "
                "its month. Write it as year-month-day, like 2024-03-15."
            ),
        )
        return None
    if when > row.lookups.today:
        row.error(col, _("%(column)s: this date is in the future."))
        return None
    return when


def _trainings_named(row: _Cells, when: date | None) -> list[tuple[str, date | None]] | None:
    """The trainings the training cell names, each with its own date if it has one;
    None with an error."""
    col, value = row.first("trained")
    lookups = row.lookups
    if not value:
        return [(lookups.default_training, None)] if when and lookups.default_training else []
    word = _heading_key(value) or value.strip()
    if word in YES:
        if not lookups.default_training:
            row.error(col, _("%(column)s: choose below which training a “yes” means."))
            return None
        return [(lookups.default_training, None)]
    if word in NO:
        return []
    wanted: list[tuple[str, date | None]] = []
    for part in filter(None, _SPLIT_NAMES.split(value)):
        match = _TRAINING_WITH_DATE.match(part)
        own = parse_date(match[2], lookups.today) if match else None
        slug = lookups.trainings.get(_heading_key(match[1] if match and own else part))
        if slug is None:
            row.error(
                col,
                _(
                    "%(column)s: a training here is not one of the network's "
                    "trainings: %(trainings)s."
                ),
                trainings=", ".join(lookups.training_labels),
            )
            return None
        wanted.append((slug, own))
    return wanted
