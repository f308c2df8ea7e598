"""A template's text as blocks, and the blocks as a PDF (lib/pdf.py) or a DOCX
(python-docx). The structure comes from the template alone; merge fields are filled
inside each block afterwards, so a merged value can never become a heading or markup.

The text's plain conventions: ``# `` starts a heading, ``- `` a list item, a blank line
ends a paragraph; a palm card's front and back are parted by a line ``---``."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.utils.translation import gettext as _

from amparo.lib import pdf as pdflib

from .merge import merge

#: the size of the body text per kind of document, in points
SIZES = {"poster": 18, "flier": 13}


@dataclass
class Block:
    kind: str  # heading, item, text
    text: str


def blocks(body: str, values: dict[str, str]) -> list[Block]:
    found: list[Block] = []
    lines: list[str] = []

    def flush() -> None:
        if lines:
            found.append(Block("text", merge("\n".join(lines), values)))
            lines.clear()

    for raw in body.replace("\r\n", "\n").split("\n"):
        line = raw.rstrip()
        if line.startswith("# ") or line.startswith("- "):
            flush()
            kind = "heading" if line.startswith("# ") else "item"
            found.append(Block(kind, merge(line[2:].strip(), values)))
        elif not line.strip():
            flush()
        else:
            lines.append(line)
    flush()
    return found


def disclaimer() -> str:
    return _(
        "General information, not legal advice. For advice on your own situation, "
        "talk to an immigration attorney or an accredited representative."
    )


def as_text(found: list[Block]) -> str:
    marks = {"heading": "# ", "item": "- ", "text": ""}
    return "\n\n".join(marks[b.kind] + b.text for b in found)


def to_pdf(title: str, found: list[Block], *, kind: str = "letter") -> bytes:
    size = SIZES.get(kind, 11)
    pdf = pdflib.paper(title=title, foot=f"{title} · ")
    for block in found:
        if block.kind == "heading":
            pdflib.heading(pdf, block.text, size=size + 4)
        elif block.kind == "item":
            pdflib.paragraph(pdf, f"•  {block.text}", size=size)
        else:
            pdflib.paragraph(pdf, block.text, size=size)
    pdf.ln(4)
    pdflib.paragraph(pdf, disclaimer(), size=8)
    return pdflib.output(pdf)


def to_docx(title: str, found: list[Block]) -> bytes:
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    doc.core_properties.title = title
    for block in found:
        if block.kind == "heading":
            doc.add_heading(block.text, level=1)
        elif block.kind == "item":
            doc.add_paragraph(block.text, style="List Bullet")
        else:
            doc.add_paragraph(block.text)
    note = doc.add_paragraph().add_run(disclaimer())
    note.italic = True
    note.font.size = Pt(8)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
