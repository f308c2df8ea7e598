"""How many SMS segments a text costs: GSM-7 (160 septets, 153 per part when split;
extension characters such as € [ ] { } cost two) or UCS-2 (70, 67 per part) as soon as
one character is outside GSM-7 — an "á" doubles the cost of a long alert, so we say so
and offer the same text without accents."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "\f^{}\\[~]|€"
_BASIC = frozenset(GSM7_BASIC) - {"\x1b"}
_EXTENSION = frozenset(GSM7_EXTENSION)


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int
    #: characters that force UCS-2, in order of appearance, once each
    non_gsm: tuple[str, ...] = ()
    #: segments the accent-stripped text would cost (only when it is cheaper)
    stripped_segments: int | None = None
    stripped_text: str = ""

    @property
    def doubled(self) -> bool:
        """True when accents (or other non-GSM characters) make it cost more."""
        return self.stripped_segments is not None and self.stripped_segments < self.segments

    def as_dict(self) -> dict[str, object]:
        return {
            "encoding": self.encoding,
            "units": self.units,
            "segments": self.segments,
            "per_segment": self.per_segment,
            "non_gsm": "".join(self.non_gsm),
            "stripped_segments": self.stripped_segments,
            "doubled": self.doubled,
        }


def gsm7_septets(text: str) -> int | None:
    """Septets in GSM-7, or None when a character is not in GSM-7 at all."""
    total = 0
    for char in text:
        if char in _BASIC:
            total += 1
        elif char in _EXTENSION:
            total += 2
        else:
            return None
    return total


def _segments(units: int, single: int, multi: int) -> int:
    if units == 0:
        return 0
    if units <= single:
        return 1
    return -(-units // multi)


def strip_accents(text: str) -> str:
    """Remove accents GSM-7 lacks (it has é, ñ, ü and a few more; ¿ and ¡ are kept too)."""
    out = []
    for char in text:
        if char in _BASIC or char in _EXTENSION:
            out.append(char)
            continue
        decomposed = unicodedata.normalize("NFKD", char)
        base = "".join(c for c in decomposed if not unicodedata.combining(c))
        replacements = {"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "…": "..."}
        out.append(replacements.get(char, base or char))
    return "".join(out)


def count_segments(text: str) -> SegmentCount:
    septets = gsm7_septets(text)
    if septets is not None:
        return SegmentCount(
            "GSM-7", septets, _segments(septets, 160, 153), 153 if septets > 160 else 160
        )
    units = len(text.encode("utf-16-le")) // 2
    non_gsm = tuple(dict.fromkeys(c for c in text if c not in _BASIC and c not in _EXTENSION))
    segments = _segments(units, 70, 67)
    stripped = strip_accents(text)
    stripped_septets = gsm7_septets(stripped)
    stripped_segments = (
        _segments(stripped_septets, 160, 153) if stripped_septets is not None else None
    )
    return SegmentCount(
        "UCS-2",
        units,
        segments,
        67 if units > 70 else 70,
        non_gsm,
        stripped_segments,
        stripped if stripped_segments is not None else "",
    )
