"""Letters of support: a public form by token (no JavaScript needed, Spanish), the
letter and its photo sealed in the database with the photo's metadata stripped, reviewed
by the case team, and one PDF of the approved letters only."""

from __future__ import annotations

import base64
import io

import pytest
from django.db import connection
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from amparo.campaigns.models import Letter, LetterLink, LetterStatus
from amparo.cases.tests.conftest import member, open_case
from amparo.conftest import client_for

from .conftest import public_client, public_post, raid


def with_gps() -> bytes:
    image = Image.new("RGB", (300, 200), (10, 120, 10))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (42.0, 12.0, 15.0), 3: "W", 4: (72.0, 37.0, 0.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


@pytest.fixture
def team(network_a, coordinator_a):
    legal = member(network_a, ["case-manager"], language="es")
    case = open_case(
        network_a, coordinator_a, team=[(legal, "case-manager")], incident=raid(network_a)
    )
    return case, client_for(legal, language="es")


def letter_url(link: LetterLink) -> str:
    return reverse("letters_public", kwargs={"token": link.token})


def write(link, author, text, photo=None, address="198.51.100.7"):
    data = {"author": author, "relation": "vecina", "text": text}
    if photo is not None:
        data["photo"] = io.BytesIO(photo)
        data["photo"].name = "carta.jpg"
    return public_post(letter_url(link), data, address=address)[1]


@pytest.mark.django_db
def test_letters_are_sealed_stripped_reviewed_and_collected_as_one_pdf(team):
    case, client = team
    case_url = reverse("cases:case", kwargs={"pk": case.pk})
    assert "Crear un enlace para cartas de apoyo" in client.get(case_url).content.decode()
    client.post(reverse("campaigns:letters", kwargs={"pk": case.pk}), {"decision": "link"})
    link = LetterLink.objects.get(case=case)
    assert link.token != str(case.pk) and len(link.token) >= 20  # not the id
    assert letter_url(link) in client.get(case_url).content.decode()

    form = public_client().get(letter_url(link)).content.decode()
    assert "Escribir una carta de apoyo" in form and "Juan Carlos" not in form  # no name
    assert write(link, "Rosa Vecina", "Juan es un padre trabajador.", with_gps()).status_code == 200
    write(link, "Spam Bot", "CARTA-RECHAZADA compre ahora", address="198.51.100.8")
    assert Letter.objects.filter(case=case).count() == 2

    # sealed: nothing of the letter or the photo is in the table in clear
    with connection.cursor() as cursor:
        cursor.execute("SELECT author, text, attachment FROM campaigns_letter")
        stored = repr(cursor.fetchall())
    assert "Rosa" not in stored and "padre" not in stored and "PhoneMaker" not in stored
    letter = Letter.objects.get(author__isnull=False, attachment__isnull=False)
    photo = base64.b64decode(letter.attachment)
    assert b"PhoneMaker" not in photo and not Image.open(io.BytesIO(photo)).getexif()

    page = client.get(case_url).content.decode()
    assert "Rosa Vecina" in page and "CARTA-RECHAZADA" in page
    for row in Letter.objects.all():
        decision = "reject" if row.author == "Spam Bot" else "approve"
        review = reverse("campaigns:letters", kwargs={"pk": case.pk})
        client.post(review, {"decision": decision, "letter": row.pk})
    assert set(Letter.objects.values_list("status", flat=True)) == {
        LetterStatus.APPROVED,
        LetterStatus.REJECTED,
    }
    response = client.get(reverse("campaigns:letters_pdf", kwargs={"pk": case.pk}))
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.getvalue()))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Cartas de apoyo para Juan Carlos Pérez López" in text
    assert "Rosa Vecina" in text and "padre trabajador" in text
    assert "CARTA-RECHAZADA" not in text and "Spam Bot" not in text
    assert any(page.images for page in reader.pages)  # the approved letter's photo


@pytest.mark.django_db
def test_only_the_case_team_reviews_and_another_network_sees_nothing(
    team, network_a, coordinator_b
):
    case, _client = team
    outsider = member(network_a, ["hotline"])
    for user in (outsider, coordinator_b):
        client = client_for(user)
        assert (
            client.post(
                reverse("campaigns:letters", kwargs={"pk": case.pk}), {"decision": "link"}
            ).status_code
            == 404
        )
        assert (
            client.get(reverse("campaigns:letters_pdf", kwargs={"pk": case.pk})).status_code == 404
        )
    assert not LetterLink.objects.exists()


@pytest.mark.django_db
def test_letters_from_many_addresses_are_bounded_per_case(team, coordinator_a, monkeypatch):
    from amparo.campaigns import services, views
    from amparo.channels.models import Delivery

    case, _client = team
    services.letter_link_for(case=case, actor=coordinator_a)
    monkeypatch.setattr(views, "PER_CASE", ((3, 86400),))
    link = LetterLink.objects.get(case=case)
    codes = [write(link, f"N{n}", "Apoyo", address=f"203.0.113.{n}").status_code for n in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    assert Letter.objects.filter(case=case).count() == 3 and not Delivery.objects.exists()
