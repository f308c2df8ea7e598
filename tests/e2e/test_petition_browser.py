"""From a confirmed raid to a petition and letters of support, in Spanish, by clicks
alone (issue 23): log in → the dashboard's confirmed incident → "Abrir una petición" →
title and text saved → the public page reached by clicking its link on the incident
page, at phone width, takes two signatures (one shows only its town) → the case's page
→ a link for letters of support → its public form, at phone width, takes two letters
(one with a photo) → the team approves one, rejects the other → one PDF, the approved
letter only. After the login page the test never types an address.

Screenshots (1280 px, public pages at 390 px) go to var/test/e2e-petition/."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, ViewportSize, expect
from pypdf import PdfReader
from pytest_django.live_server_helper import LiveServer

from amparo.campaigns.models import Letter, Signature
from amparo.cases.services import CaseInput, case_open
from amparo.conftest import make_network, make_user

from .conftest import ARTEFACTS, chromium, confirmed_raid, enrol_authenticator, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OUT = ARTEFACTS / "e2e-petition"
PHONE: ViewportSize = {"width": 390, "height": 844}
WIDE: ViewportSize = {"width": 1280, "height": 900}


def _seed():
    network = make_network("e2e-petition", "Red de Respuesta E2E")
    coordinator = make_user(
        network, "coord@petition.example", ["coordinator"], name="Cora", language="es"
    )
    incident = confirmed_raid(network)
    case = case_open(
        network=network,
        actor=coordinator,
        incident=incident,
        case_manager=coordinator,
        data=CaseInput(given_names="Luis", family_names="Torres Vega"),
    )
    return coordinator, incident, case


def _photo(path: Path) -> Path:
    image = Image.new("RGB", (400, 300), (240, 240, 230))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (42.0, 12.0, 15.0), 3: "W", 4: (72.0, 37.0, 0.0)}
    image.save(path, format="JPEG", exif=exif.tobytes())
    return path


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def _fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width


def _sign(page: Page, name: str, town: str, shown: str) -> None:
    page.locator("input[name=name]").fill(name)
    page.locator("input[name=town]").fill(town)
    page.get_by_label(shown).check()
    page.get_by_role("button", name="Firmar", exact=True).click()
    expect(page.locator("#petition-signed")).to_have_text("Gracias: se añadió su firma.")


def _write(page: Page, author: str, text: str, photo: Path | None = None) -> None:
    expect(page.locator("h1")).to_have_text("Escribir una carta de apoyo")
    page.get_by_label("Su nombre", exact=True).fill(author)
    page.get_by_label("Cómo conoce a la persona").fill("Compañera de trabajo")
    page.get_by_label("Su carta").fill(text)
    if photo is not None:
        page.get_by_label("Una foto de una carta escrita a mano (opcional)").set_input_files(
            str(photo)
        )
    page.get_by_role("button", name="Enviar la carta").click()
    expect(page.locator("#letter-done")).to_have_text("Gracias: recibimos su carta.")


def test_petition_and_letters_of_support_in_spanish(live_server: LiveServer, settings) -> None:
    settings.SIGNUP_POW_BITS = 8  # the page's proof of work stays real, and quick
    coordinator, incident, case = _seed()
    app = enrol_authenticator(coordinator)
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*"):
        old.unlink()
    photo = _photo(OUT / "carta.jpg")
    with chromium() as browser:
        context = browser.new_context(
            base_url=live_server.url,
            locale="es-US",
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
        )
        page = context.new_page()
        try:
            log_in(page, coordinator.email, app)  # the last page.goto: clicks from here on
            page.locator(f"main a[href$='/incidents/{incident.pk}/']").first.click()
            page.get_by_role("link", name="Abrir una petición").click()
            expect(page.locator("h1")).to_have_text("Petición")
            page.get_by_label("Título").fill("Liberen a los trabajadores de la Planta")
            page.get_by_label("Texto de la petición").fill(
                "Pedimos al Director de la Oficina de Campo de ICE la liberación inmediata."
            )
            _shot(page, "1-petition-edit")
            page.get_by_role("button", name="Guardar la petición").click()
            expect(page.locator("ul.messages")).to_contain_text("La petición está guardada")
            expect(page.locator("#incident-petition")).to_contain_text("0 firmas")
            _shot(page, "2-incident")

            page.set_viewport_size(PHONE)
            page.locator("#petition-public-link").click()
            expect(page.locator("h1")).to_have_text("Liberen a los trabajadores de la Planta")
            expect(page.locator("#petition-count")).to_have_text("0 personas han firmado.")
            _shot(page, "3-petition-public-390px")
            _sign(page, "María G.", "Holyoke", "Mi nombre y mi pueblo")
            _sign(page, "Pedro Escondido", "Chicopee", "Solo mi pueblo")
            expect(page.locator("#petition-count")).to_have_text("2 personas han firmado.")
            signers = page.locator("#petition-signers")
            expect(signers).to_contain_text("María G. · Holyoke")
            expect(signers).to_contain_text("Chicopee")
            expect(signers).not_to_contain_text("Pedro")
            _fits(page)
            _shot(page, "4-petition-signed-390px")

            page.set_viewport_size(WIDE)
            page.get_by_role("link", name="Casos", exact=True).click()
            page.locator("table.cases tr", has_text="Torres Vega").get_by_role(
                "link", name=re.compile(r"^Caso \d+$")
            ).click()
            page.get_by_role("button", name="Crear un enlace para cartas de apoyo").click()
            page.set_viewport_size(PHONE)
            page.locator("#letters-link").click()
            _shot(page, "5-letter-form-390px")
            _fits(page)
            _write(page, "Rosa Díaz", "Luis es un padre trabajador y un buen vecino.", photo)
            _shot(page, "6-letter-done-390px")
            page.go_back()
            _write(page, "Cuenta Falsa", "TEXTO-RECHAZADO compre ahora")
            page.go_back()
            page.go_back()

            page.set_viewport_size(WIDE)
            page.reload()
            letters = page.locator("#letters")
            letters.locator("article", has_text="Rosa Díaz").get_by_role(
                "button", name="Aprobar"
            ).click()
            page.locator("#letters article", has_text="Cuenta Falsa").get_by_role(
                "button", name="Rechazar"
            ).click()
            expect(page.locator("#letters")).to_contain_text("Aprobadas: 1 · rechazadas: 1")
            _shot(page, "7-case-letters")
            with page.expect_download() as download:
                page.get_by_role("link", name="Todas las cartas aprobadas (PDF)").click()
            pdf = Path(download.value.path()).read_bytes()
        finally:
            context.close()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Cartas de apoyo para Luis Torres Vega" in text
    assert "Rosa Díaz" in text and "padre trabajador" in text
    assert "TEXTO-RECHAZADO" not in text and "Cuenta Falsa" not in text
    assert Signature.objects.filter(petition__incident=incident).count() == 2
    assert Letter.objects.filter(case=case).count() == 2
