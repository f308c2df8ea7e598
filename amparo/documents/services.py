"""The library's writes: copy the shipped texts into a network's library, edit a template
(a new version), and make a document (PDF or DOCX) — recorded, sealed, with the version."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from amparo.accounts.access import Refused
from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent
from amparo.lib.pdf import covers

from . import cards, render
from .models import DocTemplate, GeneratedDocument, Kind

LIBRARY = Path(__file__).resolve().parent / "library"
A = AuditEvent.Action


@dataclass(frozen=True)
class Shipped:
    slug: str
    language: str
    kind: str
    scope: str
    title: str
    body: str
    notes: str


@cache
def shipped() -> tuple[Shipped, ...]:
    """The texts in ``library/<slug>.<language>.txt``: ``key: value`` lines, a blank line,
    the text, and for a clause its notes after a line ``=== notes``."""
    found = []
    for path in sorted(LIBRARY.glob("*.txt")):
        slug, language = path.stem.rsplit(".", 1)
        head, _sep, text = path.read_text(encoding="utf-8").partition("\n\n")
        meta = dict(line.split(": ", 1) for line in head.splitlines())
        body, _sep, notes = text.partition("=== notes\n")
        found.append(
            Shipped(slug, language, meta["kind"], meta["scope"], meta["title"], body, notes)
        )
    return tuple(found)


def library_sync(network: Any) -> None:
    """Give ``network`` each shipped text it does not have yet (as version 1)."""
    have = set(DocTemplate.objects.filter(network=network).values_list("slug", "language"))
    missing = [s for s in shipped() if (s.slug, s.language) not in have]
    if not missing:
        return
    DocTemplate.objects.bulk_create(  # two first visits at once: one makes them
        [
            DocTemplate(
                network=network,
                slug=s.slug,
                language=s.language,
                kind=s.kind,
                scope=s.scope,
                title=s.title,
                body=s.body.strip() + "\n",
                notes=s.notes.strip(),
            )
            for s in missing
        ],
        ignore_conflicts=True,
    )


def current(network: Any, **where: Any) -> list[DocTemplate]:
    """The newest version of each (slug, language) of ``network``'s library."""
    library_sync(network)
    rows = DocTemplate.objects.filter(network=network, **where).order_by(
        "slug", "language", "-version"
    )
    seen: set[tuple[str, str]] = set()
    newest = []
    for row in rows:
        if (row.slug, row.language) not in seen:
            seen.add((row.slug, row.language))
            newest.append(row)
    return newest


class NotCovered(Refused):
    message = _(
        "The shipped font has no letters for some characters of this text, so it would "
        "print as empty boxes. Write it in a script the font covers (Latin, Greek, "
        "Cyrillic) or ask for a font that covers this one."
    )


def template_edit(
    *, template: DocTemplate, title: str, body: str, notes: str, language: str, actor: Any
) -> DocTemplate:
    """A new version of ``template``'s text in ``language`` (another language: its first
    version there). Refused when the shipped font cannot print the text."""
    if not covers(title + body + notes):
        raise NotCovered
    with transaction.atomic():
        last = DocTemplate.objects.filter(
            network=template.network, slug=template.slug, language=language
        ).aggregate(v=Max("version"))["v"]
        row = DocTemplate.objects.create(
            network=template.network,
            slug=template.slug,
            language=language,
            version=(last or 0) + 1,
            kind=template.kind,
            scope=template.scope,
            title=title,
            body=body,
            notes=notes,
            edited_by=actor,
        )
        audit_record(action=A.CREATE, actor=actor, network=template.network, obj=row)
    return row


def make(template: DocTemplate, values: dict[str, str], file_format: str, **kw: Any) -> bytes:
    """The document's bytes: a card sheet (``paper``), a PDF or a DOCX, in its language."""
    with translation.override(template.language):
        if template.kind == Kind.CARD:
            front, back = cards.split(template.body)
            return cards.sheet(
                title=template.title,
                front=render.blocks(front, values),
                back=render.blocks(back, values),
                hotline=values["network.hotline"],
                url=values["network.report_page"],
                **kw,
            )
        found = render.blocks(template.body, values)
        if file_format == "docx":
            return render.to_docx(template.title, found)
        return render.to_pdf(template.title, found, kind=template.kind)


def document_generate(
    *,
    template: DocTemplate,
    values: dict[str, str],
    file_format: str,
    actor: Any,
    on: dict[str, Any] | None = None,
    **kw: Any,
) -> bytes:
    """Make the document; keep its merged text (sealed) and template version on ``on``."""
    data = make(template, values, file_format, **kw)
    doc = GeneratedDocument.objects.create(
        network=template.network,
        template=template,
        version=template.version,
        file_format=file_format,
        text=render.as_text(render.blocks(template.body, values)),
        created_by=actor,
        **(on or {}),
    )
    audit_record(action=A.EXPORT, actor=actor, network=template.network, obj=doc)
    return data


def proposal_docx(*, clauses: list[DocTemplate], heading: str, title: str) -> bytes:
    """The chosen clauses, one heading and text each, as a DOCX proposal."""
    found = [render.Block("heading", heading)]
    for clause in clauses:
        found += [render.Block("heading", clause.title), render.Block("text", clause.body)]
    return render.to_docx(title, found)
