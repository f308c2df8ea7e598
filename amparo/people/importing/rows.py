"""Checking one row: its cells read into :class:`PersonData`, or its errors explained
for a person."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

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
