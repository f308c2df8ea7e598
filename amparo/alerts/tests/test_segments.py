"""GSM-7 / UCS-2 segment counting and the accent warning."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from amparo.alerts.segments import GSM7_BASIC, count_segments, gsm7_septets, strip_accents


def test_gsm7_single_and_multi_part() -> None:
    assert count_segments("").segments == 0
    assert count_segments("a" * 160).segments == 1
    assert count_segments("a" * 161).segments == 2
    assert count_segments("a" * 306).segments == 2
    assert count_segments("a" * 307).segments == 3
    assert count_segments("hola").encoding == "GSM-7"


def test_extension_characters_cost_two_septets() -> None:
    assert gsm7_septets("€") == 2
    assert count_segments("€" * 80).segments == 1
    assert count_segments("€" * 81).segments == 2


def test_accents_switch_to_ucs2_and_offer_the_stripped_text() -> None:
    text = "Redada confirmada en la fábrica: ¿puedes ir? " * 3
    count = count_segments(text)
    assert count.encoding == "UCS-2"
    assert "á" in count.non_gsm
    assert count.segments == 3  # 138 units → 67 per part
    assert count.doubled and count.stripped_segments == 1
    assert "fabrica" in count.stripped_text and "¿" in count.stripped_text
    assert count_segments("a" * 70 + "ó").segments == 2
    assert count_segments("ó" * 70).segments == 1


def test_gsm_accented_letters_stay() -> None:
    assert strip_accents("é ñ ü à á í") == "é ñ ü à a i"
    assert count_segments("mañana él").encoding == "GSM-7"


@given(st.text(alphabet=GSM7_BASIC.replace("\x1b", ""), max_size=500))
def test_any_gsm_text_counts_by_septets(text: str) -> None:
    count = count_segments(text)
    assert count.encoding == "GSM-7"
    n = len(text)
    expected = 0 if n == 0 else 1 if n <= 160 else -(-n // 153)
    assert count.segments == expected


@given(st.text(max_size=300))
def test_stripped_never_costs_more(text: str) -> None:
    count = count_segments(text)
    if count.stripped_segments is not None:
        assert count_segments(count.stripped_text).segments == count.stripped_segments
