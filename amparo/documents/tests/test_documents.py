"""Every document of the library, read back: the merged values in English and Spanish
with their accents, markup in a value printed as text, the disclaimer, the hotline on
every card; a coordinator's edit that tries code or settings prints as written; letters
from an incident and an audit are kept, sealed, with the template version."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from docx import Document
from PIL import Image, ImageChops, ImageOps
from pypdf import PdfReader

from amparo.audits import services as audits
from amparo.audits.models import NoticeKind
from amparo.cases.tests.conftest import open_case
from amparo.conftest import client_for
from amparo.documents import cards, merge
from amparo.documents.models import DocTemplate, GeneratedDocument, Kind, Scope
from amparo.documents.services import NotCovered, current, make, template_edit
from amparo.people.models import Organization
from amparo.reports.models import Incident

pytestmark = pytest.mark.django_db
HOTLINE = "(413) 555-0199"  # as printed, from the E.164 number the network keeps
NAME = "¡Red Única de Acción y Niñez!"
WORKER = "María Ángeles Núñez Íñiguez"
MARKUP = "<b>Ortíz</b> **bold** {{ settings.SECRET_KEY }}"


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def docx_text(data: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def net(network_a):
    network_a.name, network_a.hotline_number = NAME, "+14135550199"
    network_a.save()
    return network_a


def values(network) -> dict[str, str]:
    v = merge.sample_values(network)
    v |= {"case.name": WORKER, "incident.workers": f"{WORKER} — A-201-555-014\n{MARKUP}"}
    v |= {"audit.employer": "Empacadora Ñandú", "audit.workers": f"{WORKER}\n{MARKUP}"}
    return v


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_document_reads_back_with_its_values_accents_and_disclaimer(net, language):
    rows = current(net, language=language)
    assert {r.kind for r in rows} == set(Kind.values)
    v = values(net)
    disclaimer = {"en": "not legal advice", "es": "no es asesoría legal"}[language]
    for row in rows:
        formats = ["pdf"] if row.kind == Kind.CARD else ["pdf", "docx"]
        for fmt in formats:
            data = make(row, v, fmt)
            text = flat(pdf_text(data) if fmt == "pdf" else docx_text(data))
            assert disclaimer in text, (row.slug, fmt)
            body = merge.FIELD.sub(" ", row.body.replace("---", ""))
            for word in re.findall(r"[¿¡]?\w*[áéíóúñÁÉÍÓÚÑ¿¡]\w*", body):
                assert word in text, (row.slug, fmt, word)  # accents as written
            if "{{ network.hotline }}" in row.body or row.kind == Kind.CARD:
                assert HOTLINE in text, (row.slug, fmt)
            if "{{ network.name }}" in row.body:
                assert NAME in text, (row.slug, fmt)
            if row.scope in (Scope.INCIDENT, Scope.AUDIT) and "workers }}" in row.body:
                assert WORKER in text and flat(MARKUP) in text, (row.slug, fmt)
            if row.scope == Scope.CASE:
                assert WORKER in text, (row.slug, fmt)
            assert "{{ network." not in text and "{{ case." not in text, (row.slug, fmt)
    if language == "es":  # the Spanish texts keep their own signs
        text = flat(pdf_text(make(current(net, slug="rights-flier", language="es")[0], v, "pdf")))
        assert "¿Agentes" in text and "«¿Soy libre de irme?»" in text


def test_a_coordinator_edit_that_tries_code_or_settings_prints_as_written(net, coordinator_a):
    flier = current(net, slug="rights-flier", language="es")[0]
    tricks = (
        "{{ settings.SECRET_KEY }} {% load static %}{% debug %} {{ x.__class__ }} "
        "{{ network.__class__.__init__ }} {{ network.hotline|safe }} {{ network.hotline }}"
    )
    edited = template_edit(
        template=flier,
        title="Volante ¡nuevo!",
        body=f"# Título\n\n{tricks}\n",
        notes="",
        language="es",
        actor=coordinator_a,
    )
    assert edited.version == 2
    for fmt, read in (("pdf", pdf_text), ("docx", docx_text)):
        text = flat(read(make(edited, merge.network_values(net), fmt)))
        assert settings.SECRET_KEY not in text
        for literal in (
            "{{ settings.SECRET_KEY }}",
            "{% load static %}{% debug %}",
            "{{ x.__class__ }}",
            "{{ network.__class__.__init__ }}",
            "{{ network.hotline|safe }}",
        ):
            assert literal in text, (fmt, literal)
        assert text.count(HOTLINE) == 1 and "Título" in text
    client = client_for(coordinator_a)
    page = client.get(reverse("documents:template", kwargs={"pk": edited.pk})).content.decode()
    assert settings.SECRET_KEY not in page and "{{ x.__class__ }}" in page
    sample = client.get(reverse("documents:sample", kwargs={"pk": edited.pk, "fmt": "pdf"}))
    assert "{{ x.__class__ }}" in flat(pdf_text(sample.content))


def test_a_text_the_font_cannot_print_is_refused_with_a_reason(net, coordinator_a):
    card = current(net, slug="palm-card", language="en")[0]
    with pytest.raises(NotCovered):
        template_edit(
            template=card,
            title="ใบรับรอง",
            body="# สิทธิของคุณ\n",
            notes="",
            language="th",
            actor=coordinator_a,
        )
    client = client_for(coordinator_a)
    url = reverse("documents:template", kwargs={"pk": card.pk})
    answer = client.post(url, {"language": "ja", "title": "権利", "body": "# 権利\n"})
    assert "empty boxes" in answer.content.decode()
    vi = client.post(url, {"language": "vi", "title": "Quyền", "body": "# Quyền của bạn\n"})
    assert vi.status_code == 302
    assert DocTemplate.objects.filter(network=net, slug="palm-card", language="vi").exists()


def _incident_with_cases(net, coordinator):
    incident = Incident.objects.create(network=net, status="confirmed")
    names = [("María Ángeles", "Núñez Íñiguez"), ("José", "Peña <i>Ruiz</i>"), ("Ana", "Ibáñez")]
    return incident, [
        open_case(
            net,
            coordinator,
            incident=incident,
            given_names=g,
            family_names=f,
            a_number=f"20155501{i}",
            screening={"sole_caregiver": i == 0},
        )
        for i, (g, f) in enumerate(names)
    ]


def test_the_field_office_letter_names_the_three_workers_and_is_kept_sealed(net, coordinator_a):
    incident, cases = _incident_with_cases(net, coordinator_a)
    client = client_for(coordinator_a)
    page = client.get(reverse("reports:incident", kwargs={"pk": incident.pk})).content.decode()
    assert 'id="letters"' in page
    url = reverse("documents:incident", kwargs={"pk": incident.pk})
    for fmt, read in (("docx", docx_text), ("pdf", pdf_text)):
        answer = client.post(url, {"slug": "field-office-letter", "language": "es", fmt: "1"})
        assert answer["Content-Type"] == render_mime(fmt)
        text = flat(read(answer.content))
        for name in ("María Ángeles Núñez Íñiguez", "José Peña <i>Ruiz</i>", "Ana Ibáñez"):
            assert name in text
        assert "201555010" in text and "Sole caregiver" not in text  # flags in Spanish
        assert "cuidado exclusivo" in text.lower() or "cuida" in text.lower()
    support = client.post(
        url, {"slug": "support-letter", "language": "en", "case": cases[2].pk, "pdf": "1"}
    )
    assert "Ana Ibáñez" in flat(pdf_text(support.content))
    docs = GeneratedDocument.objects.filter(incident=incident).order_by("id")
    assert [(d.file_format, d.version, d.case_id) for d in docs] == [
        ("docx", 1, None),
        ("pdf", 1, None),
        ("pdf", 1, cases[2].pk),
    ]
    assert "Núñez Íñiguez" in docs[0].text
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM documents_generateddocument")
        raw = " ".join(str(r[0]) for r in cursor.fetchall())
    assert "Núñez" not in raw and "201555010" not in raw


def render_mime(fmt: str) -> str:
    from amparo.documents.views import MIME

    return MIME[fmt]


def test_union_letters_from_an_audit_page(net, coordinator_a):
    plant = Organization.objects.create(network=net, kind="workplace", name="Planta Ñandú")
    audit = audits.audit_open(
        network=net,
        workplace=plant,
        served_on=net.local_today(),
        steward=None,
        actor=coordinator_a,
    )
    audits.notice_add(
        audit=audit,
        kind=NoticeKind.objects.get(network=net, slug="suspect"),
        served_on=net.local_today(),
        date_on_notice=net.local_today(),
        worker_names=["Óscar Muñoz"],
        actor=coordinator_a,
    )
    client = client_for(coordinator_a)
    page = client.get(reverse("audits:audit", kwargs={"pk": audit.pk})).content.decode()
    assert 'id="letters"' in page
    answer = client.post(
        reverse("documents:audit", kwargs={"pk": audit.pk}),
        {"slug": "audit-bargaining-demand", "language": "es", "docx": "1"},
    )
    text = flat(docx_text(answer.content))
    assert "Óscar Muñoz" in text and "Planta Ñandú" in text and "efectos" in text
    assert GeneratedDocument.objects.get(audit=audit).version == 1


def test_clauses_become_a_docx_proposal(net, coordinator_a):
    client = client_for(coordinator_a)
    page = client.get(reverse("documents:clauses") + "?language=es")
    chosen = [
        c.pk for c in page.context["clauses"] if c.slug in ("clause-no-entry", "clause-no-match")
    ]
    answer = client.post(reverse("documents:clauses"), {"language": "es", "clause": chosen})
    text = flat(docx_text(answer.content))
    assert "orden firmada por un juez" in text and "no coincidencia" in text
    assert "Nota para la negociación" not in text  # the negotiator's notes stay inside


def _png(pdf: bytes, tmp: Path, name: str) -> list[Image.Image]:
    (tmp / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(  # noqa: S603
        ["pdftoppm", "-r", "72", "-png", str(tmp / f"{name}.pdf"), str(tmp / name)],  # noqa: S607
        check=True,
    )
    return [Image.open(p).convert("RGB") for p in sorted(tmp.glob(f"{name}-*.png"))]


def _band_box(image: Image.Image) -> tuple[int, int, int, int]:
    """The box of the cards' dark bands (their colour, within a few levels)."""
    masks = [
        channel.point(lambda v, c=c: 255 if abs(v - c) < 12 else 0)
        for channel, c in zip(image.split(), cards.BAND, strict=True)
    ]
    box = ImageChops.multiply(ImageChops.multiply(masks[0], masks[1]), masks[2]).getbbox()
    assert box is not None
    return box[0], box[1], box[2] - 1, box[3] - 1


# A4 is 595.3 points wide: pdftoppm rounds the page up to 596 pixels at 72 dpi.
@pytest.mark.parametrize(
    ("paper", "size", "count"), [("Letter", (612, 792), 8), ("A4", (596, 842), 10)]
)
def test_the_palm_card_sheet_prints_and_lines_up_for_duplex(net, tmp_path, paper, size, count):
    card = current(net, slug="palm-card", language="es")[0]
    v = merge.network_values(net)
    full = make(card, v, "pdf", paper=paper)
    assert pdf_text(full).count(HOTLINE) == count  # the hotline on every card
    pages = _png(full, tmp_path, "sheet")
    assert [p.size for p in pages] == [size, size], [p.size for p in pages]
    out = Path(settings.REPO_DIR) / "var" / "test" / "palm-cards"
    out.mkdir(parents=True, exist_ok=True)
    for i, page in enumerate(pages):
        page.save(out / f"{paper}-{i + 1}.png")
    # One card alone: its back must land where its front is after a long-edge flip.
    front, back = _png(make(card, v, "pdf", paper=paper, count=1), tmp_path, "one")
    fx0, fy0, fx1, fy1 = _band_box(front)
    bx0, by0, bx1, by1 = _band_box(ImageOps.mirror(back))
    assert abs(fx0 - bx0) <= 1 and abs(fx1 - bx1) <= 1 and abs(fy0 - by0) <= 1
    assert fx1 < size[0] / 2 <= _band_box(back)[0]  # the back really is on the other side
    mm = 72 / 25.4
    assert abs((fx1 - fx0 + 1) - cards.CARD_W * mm) <= 2  # the band spans the card
    left = (cards.SHEETS[paper][0] - 2 * cards.CARD_W) / 2
    assert abs(fx0 - left * mm) <= 1 and left > 6.5  # room for a printer's margin


def test_the_questionnaire_on_the_web_is_the_detention_case_form(net, coordinator_a):
    """The printed questionnaire asks what a detention case holds; on the web its answers
    go straight into a case (the cases app's form, reached from the documents page)."""
    client = client_for(coordinator_a)
    page = client.get(reverse("documents:index")).content.decode()
    link = reverse("cases:new") + "?kind=detention"
    assert f'href="{link}" id="intake-web"' in page
    form = client.get(link).content.decode()
    for field in ("given_names", "family_names", "a_number", "country_of_birth", "sole_caregiver"):
        assert f'name="{field}"' in form


def test_a_card_edited_in_the_browser_previews_without_its_separator(net, coordinator_a):
    """A browser posts a textarea with CRLF line ends: the preview must still part the
    card's front from its back instead of printing the "---" line (found in the walk)."""
    card = current(net, slug="palm-card", language="es")[0]
    client = client_for(coordinator_a)
    url = reverse("documents:template", kwargs={"pk": card.pk})
    body = "# Frente\r\n- Uno\r\n---\r\n# Reverso\r\nDos\r\n"
    saved = client.post(url, {"language": "es", "title": "Tarjeta", "body": body})
    assert saved.status_code == 302
    page = client.get(saved["Location"]).content.decode()
    assert "Reverso" in page and "---" not in page.split("Reverso")[0].split("Frente")[1]


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_print_form_offers_the_readers_language_first(net, coordinator_a, language):
    page = client_for(coordinator_a, language=language).get(reverse("documents:index"))
    selected = re.findall(r'<option value="(\w\w)" selected>', page.content.decode())
    assert selected and set(selected) == {language}
