"""Palm cards (85.6 × 54 mm, both sides) on a print sheet: 8 per Letter page, 10 per A4,
edge to edge in a grid centred on the page, with cut marks outside the grid and a margin
no printer prints into. Page 1 carries the fronts, page 2 the backs; each back sits where
its front lands after a long-edge flip (mirrored left to right), so duplex printing lines
them up. The hotline number is printed on every front by this code, whatever the text."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from amparo.lib import pdf as pdflib

from .render import Block, disclaimer

CARD_W, CARD_H = 85.6, 54.0
#: paper: (page width, height in mm, columns, rows)
SHEETS = {"Letter": (215.9, 279.4, 2, 4), "A4": (210.0, 297.0, 2, 5)}
BAND = (20, 83, 116)  # the dark band on top of each side
MARK_GAP, MARK_LEN = 2.0, 5.0


def slots(paper: str) -> list[tuple[float, float]]:
    """The top-left corner of each card on the front page, row by row."""
    width, height, cols, rows = SHEETS[paper]
    left, top = (width - cols * CARD_W) / 2, (height - rows * CARD_H) / 2
    return [(left + c * CARD_W, top + r * CARD_H) for r in range(rows) for c in range(cols)]


def _cut_marks(pdf: Any, paper: str) -> None:
    width, height, cols, rows = SHEETS[paper]
    left, top = (width - cols * CARD_W) / 2, (height - rows * CARD_H) / 2
    right, bottom = left + cols * CARD_W, top + rows * CARD_H
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    for c in range(cols + 1):
        x = left + c * CARD_W
        pdf.line(x, top - MARK_GAP - MARK_LEN, x, top - MARK_GAP)
        pdf.line(x, bottom + MARK_GAP, x, bottom + MARK_GAP + MARK_LEN)
    for r in range(rows + 1):
        y = top + r * CARD_H
        pdf.line(left - MARK_GAP - MARK_LEN, y, left - MARK_GAP, y)
        pdf.line(right + MARK_GAP, y, right + MARK_GAP + MARK_LEN, y)


def _band(pdf: Any, x: float, y: float, text: str) -> None:
    pdf.set_fill_color(*BAND)
    pdf.rect(x, y, CARD_W, 8, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(pdflib.FAMILY, style="B", size=8.5)
    pdf.set_xy(x + 2.5, y + 1.2)
    pdf.cell(CARD_W - 5, 5.6, text)
    pdf.set_text_color(0, 0, 0)


def _height(pdf: Any, width: float, found: list[Block], size: float) -> float:
    total = 0.0
    for block in found:
        pdf.set_font(pdflib.FAMILY, style="B" if block.kind == "heading" else "", size=size)
        text = f"• {block.text}" if block.kind == "item" else block.text
        total += pdf.multi_cell(width, size * 0.42, text, dry_run=True, output="HEIGHT") + 0.5
    return total


def _lines(pdf: Any, x: float, y: float, width: float, found: list[Block], room: float) -> None:
    """The blocks in the largest size (7.6 pt down to 4.6) whose lines fit in ``room`` mm."""
    size = 7.6
    while size > 4.6 and _height(pdf, width, found, size) > room:
        size -= 0.3
    pdf.set_xy(x, y)
    for block in found:
        pdf.set_font(pdflib.FAMILY, style="B" if block.kind == "heading" else "", size=size)
        text = f"• {block.text}" if block.kind == "item" else block.text
        pdf.set_x(x)
        pdf.multi_cell(width, size * 0.42, text, align="L", new_x="LEFT", new_y="NEXT")
        pdf.set_y(pdf.get_y() + 0.5)


def _title(found: list[Block]) -> tuple[str, list[Block]]:
    if found and found[0].kind == "heading":
        return found[0].text, found[1:]
    return "", found


def _front(pdf: Any, x: float, y: float, found: list[Block], hotline: str) -> None:
    title, rest = _title(found)
    _band(pdf, x, y, title)
    _lines(pdf, x + 2.5, y + 9.5, CARD_W - 5, rest, CARD_H - 21)
    pdf.set_fill_color(255, 236, 179)
    pdf.rect(x, y + CARD_H - 10, CARD_W, 10, style="F")
    line, size = _("Hotline") + ": " + hotline, 11.0
    pdf.set_font(pdflib.FAMILY, style="B", size=size)
    while size > 6 and pdf.get_string_width(line) > CARD_W - 5:
        size -= 0.5
        pdf.set_font(pdflib.FAMILY, style="B", size=size)
    pdf.set_xy(x + 2.5, y + CARD_H - 8.6)
    pdf.cell(CARD_W - 5, 7.2, line, align="C")


def _back(pdf: Any, x: float, y: float, found: list[Block], qr: Any, url: str) -> None:
    title, rest = _title(found)
    _band(pdf, x, y, title)
    _lines(pdf, x + 2.5, y + 9.5, CARD_W - 29, rest, CARD_H - 17)
    pdf.image(qr, x=x + CARD_W - 24.5, y=y + 10, w=22, h=22)
    pdf.set_font(pdflib.FAMILY, size=4.6)
    pdf.set_xy(x + CARD_W - 25.5, y + 32.5)
    pdf.multi_cell(24, 2, _("Report what you see:") + " " + url, align="C")
    pdf.set_xy(x + 2.5, y + CARD_H - 5.2)
    pdf.multi_cell(CARD_W - 5, 2, disclaimer(), align="C")


def sheet(
    *,
    title: str,
    front: list[Block],
    back: list[Block],
    hotline: str,
    url: str,
    paper: str = "Letter",
    count: int | None = None,
) -> bytes:
    """Fronts on page 1 and backs on page 2; ``count`` cards (a full sheet by default)."""
    import qrcode

    code = qrcode.QRCode(border=1, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(url)
    qr = code.make_image().get_image()
    width, height, _cols, _rows = SHEETS[paper]
    pdf = pdflib.paper(title=title, page_format=(width, height))
    pdf.set_auto_page_break(False)
    places = slots(paper)[:count]
    _cut_marks(pdf, paper)
    for x, y in places:
        _front(pdf, x, y, front, hotline)
    pdf.add_page()
    _cut_marks(pdf, paper)
    for x, y in places:  # after a long-edge flip, left and right change places
        _back(pdf, width - x - CARD_W, y, back, qr, url)
    return pdflib.output(pdf)


def split(body: str) -> tuple[str, str]:
    """A card's text: the front, then the back after a line ``---``."""
    front, _sep, back = body.replace("\r\n", "\n").partition("\n---\n")
    return front, back
