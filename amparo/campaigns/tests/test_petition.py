"""The petition: signatures counted and shown only as chosen, without JavaScript and in
Spanish; a flood from many addresses bounded with nobody paged; contacts deleted a set
time after delivery; a PDF for officials."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from amparo.campaigns.models import Petition, Signature
from amparo.campaigns.services import petition_deliver, petition_save
from amparo.channels.models import Delivery
from amparo.conftest import client_for
from amparo.core.retention import purge_due

from .conftest import BITS, CHALLENGE, public_client, public_post, raid

TEXT = "Pedimos la liberación inmediata de los trabajadores detenidos."


@pytest.fixture
def petition(network_a, coordinator_a):
    return petition_save(
        incident=raid(network_a), actor=coordinator_a, title="Liberen a los 12", text=TEXT
    )


def url(petition: Petition) -> str:
    return reverse("petition_public", kwargs={"token": petition.token})


def sign(petition, name, town, shown, contact="", **kw):
    data = {"name": name, "town": town, "shown": shown, "contact": contact}
    return public_post(url(petition), data, **kw)


@pytest.mark.django_db
def test_the_coordinator_opens_it_from_the_confirmed_incident(network_a, coordinator_a):
    incident = raid(network_a)
    client = client_for(coordinator_a, language="es")
    page = client.get(reverse("reports:incident", kwargs={"pk": incident.pk})).content.decode()
    assert "Abrir una petición" in page
    edit = reverse("campaigns:petition", kwargs={"pk": incident.pk})
    response = client.post(edit, {"title": "Liberen a los 12", "text": TEXT})
    assert response.status_code == 302
    petition = Petition.objects.get(incident=incident)
    assert petition.token != str(incident.pk) and len(petition.token) >= 20  # not the id
    page = client.get(reverse("reports:incident", kwargs={"pk": incident.pk})).content.decode()
    assert url(petition) in page and "0 firmas" in page


@pytest.mark.django_db
def test_signatures_are_counted_and_shown_only_as_each_signer_chose(petition):
    _client, response = sign(petition, "María G.", "Holyoke", "name_town", "+14135550123")
    assert response.status_code == 302
    sign(petition, "Pedro Escondido", "Chicopee", "town", address="198.51.100.8")
    sign(petition, "Nadie Sabe", "Pueblo-Secreto", "nothing", address="198.51.100.9")
    page = public_client().get(url(petition)).content.decode()
    assert "3 personas han firmado" in page
    assert "María G." in page and "Holyoke" in page
    assert "Chicopee" in page and "Pedro Escondido" not in page
    assert "Nadie Sabe" not in page and "Pueblo-Secreto" not in page
    assert "+1413" not in page and "555-0123" not in page
    assert Signature.objects.count() == 3


@pytest.mark.django_db
def test_it_works_without_javascript_in_spanish(petition):
    client = public_client()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        page = client.get(url(petition)).content.decode()
        assert "Firmar la petición" in page and "Su pueblo" in page
        # without JavaScript: no nonce; too soon is refused, everything typed kept
        _c, early = sign(petition, "Ana", "Holyoke", "name_town", solve=False, client=client)
        assert early.status_code == 200 and 'value="Ana"' in early.content.decode()
        assert not Signature.objects.exists()
        kept = CHALLENGE.search(early.content.decode())
        assert kept is not None and kept.group(1) == early.wsgi_request.POST["pow_challenge"]
        traveller.shift(timedelta(seconds=30))  # the same page, sent again later
        response = client.post(url(petition), early.wsgi_request.POST, REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 302
    done = client.get(response["Location"]).content.decode()
    assert "Gracias: se añadió su firma." in done and "1 persona ha firmado" in done


@pytest.mark.django_db
def test_a_flood_from_many_addresses_is_bounded_and_nobody_is_paged(petition, settings):
    settings.PETITION_FLOOD_THRESHOLD = (8, 600)
    settings.PETITION_SIGNATURE_CAP = (15, 3600)
    statuses = []
    for n in range(30):
        _c, response = sign(petition, f"Bot {n}", "X", "name_town", address=f"203.0.113.{n}")
        statuses.append(response.status_code)
    assert Signature.objects.filter(petition=petition).count() == 15
    assert statuses[:15] == [302] * 15 and set(statuses[15:]) == {429}
    page = public_client().get(url(petition)).content.decode()
    bits = BITS.search(page)
    assert bits is not None and int(bits.group(1)) == 2 + settings.REPORT_FLOOD_POW_EXTRA_BITS
    assert not Delivery.objects.exists()  # nobody paged, nobody texted


@pytest.mark.django_db
def test_contacts_are_deleted_a_set_time_after_delivery(petition, coordinator_a, settings):
    settings.PETITION_CONTACT_DAYS = 30
    sign(petition, "María G.", "Holyoke", "name_town", "maria@example.org")
    purge_due()  # not delivered: kept
    assert Signature.objects.get().contact == "maria@example.org"
    petition_deliver(petition=petition, actor=coordinator_a, delivered_to="Alcaldía")
    with time_machine.travel(timezone.now() + timedelta(days=29)):
        purge_due()
    assert Signature.objects.get().contact == "maria@example.org"
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        purge_due()
    kept = Signature.objects.get()
    assert kept.contact is None and kept.name == "María G."


@pytest.mark.django_db
def test_the_pdf_for_officials_counts_everyone_shows_what_each_chose_and_no_contact(
    petition, coordinator_a
):
    sign(petition, "María G.", "Holyoke", "name_town", "maria@example.org")
    sign(petition, "Nguyễn Thị Lan", "Chicopee", "nothing", address="198.51.100.8")
    sign(petition, "Pedro Oculto", "Amherst", "town", address="198.51.100.9")
    client = client_for(coordinator_a, language="es")
    response = client.get(reverse("campaigns:petition_pdf", kwargs={"pk": petition.incident_id}))
    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.getvalue())).pages)
    assert "Liberen a los 12" in text and "Firmas: 3" in text
    assert "María G." in text and "Holyoke" in text and "maria@" not in text
    assert "Nguyễn" not in text and "Chicopee" not in text  # chose to be counted only
    assert "Pedro Oculto" not in text and "Amherst" in text  # chose the town only
