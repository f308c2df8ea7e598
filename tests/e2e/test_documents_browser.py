"""Documents by clicks alone (issue 22): log in → the dashboard lists the confirmed raid →
its page → "Letters": the letter to the ICE Field Office Director as DOCX and as PDF, both
naming the three detained workers → "Documents" in the navigation → palm cards for print.
After the login page the test never types an address.

Screenshots go to var/test/e2e-documents/; the downloads are read back."""

from __future__ import annotations

import io
import re

import pytest
from docx import Document
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from pytest_django.live_server_helper import LiveServer

from amparo.cases.services import CaseInput, case_open
from amparo.conftest import make_network, make_user
from amparo.documents.models import GeneratedDocument

from .conftest import ARTEFACTS, chromium, confirmed_raid, enrol_authenticator, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OUT = ARTEFACTS / "e2e-documents"
WORKERS = [("Ana María", "Gómez Ruiz"), ("Luis Ángel", "Núñez Vega"), ("Rosa Elena", "Díaz Cruz")]
HOTLINE = "(413) 555-0142"  # as printed, from the E.164 number the network keeps


def _seed():
    network = make_network("e2e-docs", "Red de Respuesta E2E")
    network.hotline_number = "+14135550142"
    network.save()
    coordinator = make_user(network, "coord@docs.example", ["coordinator"], name="Cora")
    incident = confirmed_raid(network, verifier_phone="+14135550171")
    for i, (given, family) in enumerate(WORKERS):
        case_open(
            network=network,
            actor=coordinator,
            incident=incident,
            data=CaseInput(given_names=given, family_names=family, a_number=f"20155502{i}"),
        )
    return network, coordinator, incident


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def _download(page: Page, button: str) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("button", name=button).click()
    path = info.value.path()
    assert path is not None
    return path.read_bytes()


def test_letter_to_the_field_office_and_palm_cards_by_clicks(live_server: LiveServer) -> None:
    network, coordinator, incident = _seed()
    app = enrol_authenticator(coordinator)
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()
    with chromium() as browser:
        context = browser.new_context(
            base_url=live_server.url,
            locale="en-US",
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
        )
        page = context.new_page()
        try:
            log_in(page, coordinator.email, app)  # the last page.goto: clicks from here on
            page.locator("section[aria-labelledby=card-incidents]").get_by_role(
                "link", name=f"Incident {incident.pk} · Holyoke"
            ).click()
            expect(page).to_have_url(re.compile(rf"/incidents/{incident.pk}/$"))
            letters = page.locator("#letters")
            letters.get_by_label("Document").select_option(
                label="Letter to the ICE Field Office Director after a raid"
            )
            letters.get_by_label("Language").select_option(label="English")
            letters.scroll_into_view_if_needed()
            _shot(page, "1-incident-letters")
            docx = Document(io.BytesIO(_download(page, "Download DOCX")))
            docx_text = "\n".join(p.text for p in docx.paragraphs)
            pdf = PdfReader(io.BytesIO(_download(page, "Download PDF")))
            pdf_text = " ".join((p.extract_text() or "") for p in pdf.pages)
            pdf_text = " ".join(pdf_text.split())
            for given, family in WORKERS:
                assert f"{given} {family}" in docx_text
                assert f"{given} {family}" in pdf_text
            assert "Field Office Director" in docx_text and "not legal advice" in pdf_text

            page.get_by_role("navigation").get_by_role("link", name="Documents").click()
            expect(page.get_by_role("heading", name="Palm cards for print")).to_be_visible()
            cards = page.locator("#palm-cards")
            cards.get_by_label("Language").select_option(label="Spanish")
            cards.get_by_label("Paper").select_option(label="Letter")
            _shot(page, "2-documents")
            sheet = PdfReader(io.BytesIO(_download(page, "Palm cards for print (PDF)")))
            assert len(sheet.pages) == 2
            assert (sheet.pages[0].extract_text() or "").count(HOTLINE) == 8
            page.reload()
            expect(page.locator("#library")).to_contain_text("es · v1")
            _shot(page, "3-documents-after-printing")
            page.set_viewport_size({"width": 390, "height": 844})
            _shot(page, "3-documents-390px")
            page.set_viewport_size({"width": 1280, "height": 900})
            page.locator("#library tr", has_text="Know-your-rights flier").get_by_role(
                "link", name="en · v1"
            ).click()
            expect(page.locator("#preview")).to_contain_text(HOTLINE)
            page.get_by_label("Title").fill("Know-your-rights flier (plant gate)")
            page.get_by_role("button", name="Save a new version").click()
            expect(page.locator("ul.messages")).to_contain_text("Saved as version 2.")
            _shot(page, "4-template-v2")
        except Exception:
            _shot(page, "failure")
            raise
        finally:
            context.close()

    made = GeneratedDocument.objects.filter(network=network).order_by("id")
    assert [(d.template.slug, d.file_format, d.incident_id) for d in made] == [
        ("field-office-letter", "docx", incident.pk),
        ("field-office-letter", "pdf", incident.pk),
        ("palm-card", "pdf", None),
    ]
