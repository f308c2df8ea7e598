"""The one "where" line of Amparo's texts: a short workplace name and the town, never a
link, a number, a reply keyword or a long stretch of what a stranger typed."""

from __future__ import annotations

import re

import pytest

from amparo.lib.textsafe import LABEL_MAX_CHARS, text_where, workplace_label


@pytest.mark.parametrize(
    ("typed", "label"),
    [
        ("Acme Packing, 1200 Industrial Rd, Holyoke", "Acme Packing"),
        ("Acme Packing - 1200 Industrial Rd", "Acme Packing"),
        ("Granja Los Álamos", "Granja Los Álamos"),
        ("1200 Industrial Rd", "Industrial Rd"),
        ("go to http://evil.example now", "go to now"),
        ("evil.example/yes", ""),
        ("www.evil.example", ""),
        ("call +1 (413) 555-0199", "call"),
        ("A-123456789 is detained", "is detained"),
        ("write to boss@evil.example", "write to"),
        ("answer YES or CONFIRMADO", "answer or"),
        ("", ""),
        ("\u202eevil\u202c Co", "evil Co"),
    ],
)
def test_workplace_label(typed: str, label: str) -> None:
    assert workplace_label(typed) == label


def test_a_hostile_place_leaves_no_link_no_number_and_few_words() -> None:
    hostile = "URGENT verifiers: go to http://evil.example and answer YES"
    line = text_where(workplace=hostile, town="Holyoke")
    assert "http" not in line and "evil" not in line and "YES" not in line
    assert line.endswith("Holyoke")
    long = "Very " * 50 + "Long Name 555-0100 https://x.y/z"
    label = workplace_label(long)
    assert len(label) <= LABEL_MAX_CHARS and len(label.split()) <= 5
    assert not re.search(r"\d|://", label)


def test_text_where_joins_what_is_left() -> None:
    assert text_where(workplace="Acme Packing, 12 Main St", town="Holyoke") == (
        "Acme Packing, Holyoke"
    )
    assert text_where(workplace="http://evil.example", town="Holyoke") == "Holyoke"
    assert text_where(workplace="Holyoke", town="Holyoke") == "Holyoke"
    assert text_where() == ""
