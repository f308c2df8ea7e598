"""The one way to make a PDF: fpdf2 with the Unicode fonts shipped in ``lib/fonts``.

DejaVu Sans covers Latin (with every accent of Spanish, Portuguese, French, Vietnamese),
Greek and Cyrillic, so names print as written (Núñez, Nguyễn) with no transliteration.
``covers`` tells whether a text's letters are all in the font, so a coordinator adding a
language whose script the font lacks is told so instead of being handed boxes.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fpdf import FPDF

FONTS = Path(__file__).resolve().parent / "fonts"
FAMILY = "amparo"


@cache
def _codepoints() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    font = TTFont(FONTS / "DejaVuSans.ttf", lazy=True)
    return frozenset(font.getBestCmap())


def covers(text: str) -> bool:
    """True when every printable character of ``text`` has a glyph in the shipped font."""
    known = _codepoints()
    return all(ord(c) in known for c in text if c.isprintable() and not c.isspace())


def paper(
    *, title: str, head: str = "", foot: str = "", page_format: str | tuple[float, float] = "Letter"
) -> FPDF:
    """A portrait page (``Letter``, ``A4`` or (width, height) mm) with the Unicode font, a
    running head from page 2 and a footer ending "n/total" with ``foot``; page 1 added."""
    from fpdf import FPDF

    class Paper(FPDF):
        def header(self) -> None:
            if head and self.page_no() > 1:
                self.set_font(FAMILY, size=8)
                self.set_text_color(80, 80, 80)
                self.cell(0, 5, head, new_x="LMARGIN", new_y="NEXT")
                self.set_text_color(0, 0, 0)
                self.ln(1)

        def footer(self) -> None:
            if foot:
                self.set_y(-12)
                self.set_font(FAMILY, size=8)
                self.set_text_color(80, 80, 80)
                self.cell(0, 5, f"{foot}{self.page_no()}/{{nb}}", align="C")

    pdf = Paper(orientation="P", unit="mm", format=page_format)
    pdf.add_font(FAMILY, style="", fname=str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FAMILY, style="B", fname=str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(14, 14, 14)
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_title(title)
    pdf.set_creator("Amparo")
    pdf.set_font(FAMILY, size=11)
    pdf.add_page()
    return pdf


def heading(pdf: FPDF, text: str, *, size: int = 16) -> None:
    pdf.set_font(FAMILY, style="B", size=size)
    pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, size=11)


def paragraph(pdf: FPDF, text: str, *, size: int = 11, bold: bool = False) -> None:
    """Wrapped text; merged values are printed as text, never interpreted as markup."""
    pdf.set_font(FAMILY, style="B" if bold else "", size=size)
    pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(size * 0.2)
    pdf.set_font(FAMILY, size=11)


def output(pdf: FPDF) -> bytes:
    return bytes(pdf.output())
