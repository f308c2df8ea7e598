"""Uploads are served only to the people allowed to see them.

Where files come in, and where they go:

- a photo with a public report (``report_form``) and a verifier's photo (the magic
  link): cleaned, sealed in the database (``ReportPhoto.data``,
  ``VerificationRequest.photo``); no page serves them — the incident page shows how
  many there are;
- a spreadsheet to import people (``people:import``): parsed, the rows sealed in the
  batch until the import ends; shown on ``people:import_preview``;
- a voicemail (downloaded from Twilio): sealed in ``Call.recording``; played by
  ``hotline:call_voicemail``.

Nothing is written as a file: no model has a file field, there is no MEDIA_ROOT and no
URL under /media/, and /static/ serves only the app's own assets.
"""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client
from django.urls import reverse
from PIL import Image

from amparo.accounts.models import Network, User
from amparo.conftest import client_for, make_user
from amparo.core.tests.urlwalk import iter_routes
from amparo.hotline.models import Call
from amparo.people import antiabuse
from amparo.people.models import ImportBatch
from amparo.people.services import place_get_or_create
from amparo.reports.models import Report, ReportPhoto

pytestmark = pytest.mark.django_db

AUDIO = b"ID3\x03\x00uploads-private-test-voicemail" + bytes(range(200))
CSV_NAME = "miembros-privados-7f3a.csv"
PHOTO_NAME = "redada-foto-7f3a.jpg"


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def hotline_a(network_a: Network) -> User:
    return make_user(network_a, "hana@a.example", ["hotline"], name="Hana Hernández")


@pytest.fixture
def voicemail(network_a: Network) -> Call:
    return Call.objects.create(
        network=network_a,
        provider="twilio",
        provider_sid="CA" + "7" * 32,
        recording_sid="RE" + "7" * 32,
        recording=base64.b64encode(AUDIO).decode("ascii"),
        recording_status=Call.Recording.STORED,
    )


@pytest.fixture
def import_batch(network_a: Network, coordinator_a: User) -> ImportBatch:
    """A spreadsheet uploaded through the real page."""
    data = "Nombre,Teléfono\nRosa Ramírez Privada,+14135550177\n".encode()
    response = client_for(coordinator_a).post(
        reverse("people:import"), {"file": SimpleUploadedFile(CSV_NAME, data)}
    )
    assert response.status_code == 302, response.content[:500]
    return ImportBatch.objects.get(network=network_a)


@pytest.fixture
def photo_report(network_a: Network, settings: Any) -> Report:
    """A public report with a photo, through the real public form."""
    settings.SIGNUP_POW_BITS = 4
    settings.SIGNUP_NOJS_MIN_AGE = 0
    place = place_get_or_create(
        network=network_a, name="Holyoke", latitude=42.2043, longitude=-72.6162
    )
    client = Client()
    url = reverse("report_form", kwargs={"network": network_a.slug})
    page = client.get(url).content.decode()
    challenge = page.split('name="pow_challenge" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        url,
        {
            "pow_challenge": challenge,
            "pow_nonce": antiabuse.pow_solve(challenge=challenge, bits=4),
            "time": "now",
            "activity": "agents at the plant",
            "place": place.pk,
            "photo": SimpleUploadedFile(PHOTO_NAME, jpeg(), content_type="image/jpeg"),
        },
    )
    assert response.status_code == 302
    report = Report.objects.get()
    assert ReportPhoto.objects.filter(report=report).count() == 1
    return report


def _voicemail_url(v: Call) -> str:
    return reverse("hotline:call_voicemail", kwargs={"pk": v.pk})


def _preview_url(b: ImportBatch) -> str:
    return reverse("people:import_preview", kwargs={"pk": b.pk})


def _incident_url(r: Report) -> str:
    assert r.incident_id is not None
    return reverse("reports:incident", kwargs={"pk": r.incident_id})


def check_private(
    url: str, allowed: Client, without_capability: Client, other_network: Client
) -> Any:
    anonymous = Client().get(url)
    assert anonymous.status_code == 302, url
    assert anonymous["Location"].startswith(reverse("login")), url
    assert without_capability.get(url).status_code == 403, url
    assert other_network.get(url).status_code == 404, url
    response = allowed.get(url)
    assert response.status_code == 200, url
    return response


def test_voicemail_is_played_only_to_the_hotline_of_its_network(
    voicemail: Call, hotline_a: User, volunteer_a: User, coordinator_b: User
) -> None:
    response = check_private(
        _voicemail_url(voicemail),
        allowed=client_for(hotline_a),
        without_capability=client_for(volunteer_a),
        other_network=client_for(coordinator_b),
    )
    assert response.content == AUDIO
    assert "no-store" in response["Cache-Control"]


def test_import_preview_is_shown_only_to_member_managers_of_its_network(
    import_batch: ImportBatch, coordinator_a: User, volunteer_a: User, coordinator_b: User
) -> None:
    response = check_private(
        _preview_url(import_batch),
        allowed=client_for(coordinator_a),
        without_capability=client_for(volunteer_a),
        other_network=client_for(coordinator_b),
    )
    assert "Rosa Ramírez Privada" in response.content.decode()


def test_report_photos_are_never_served_and_the_incident_is_private(
    photo_report: Report, coordinator_a: User, volunteer_a: User, coordinator_b: User
) -> None:
    response = check_private(
        _incident_url(photo_report),
        allowed=client_for(coordinator_a),
        without_capability=client_for(volunteer_a),
        other_network=client_for(coordinator_b),
    )
    page = response.content.decode()
    stored = ReportPhoto.objects.get(report=photo_report)
    assert stored.data not in page and "data:image" not in page
    assert PHOTO_NAME not in page
    # no route serves photos or media at all
    paths = [
        reverse(route.name, kwargs={name: "1" for name in route.converters})
        for route in iter_routes()
    ]
    assert len(paths) > 50
    assert not [p for p in paths if "photo" in p.lower() or "media" in p.lower()]


def test_no_model_stores_uploads_as_files() -> None:
    file_fields = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField)
    ]
    assert file_fields == []
    assert not settings.MEDIA_ROOT  # nowhere on disk for uploads
    assert not getattr(settings, "MEDIA_URL", "").strip("/")  # and no URL for them


def _files_named(root: Path, names: set[str]) -> list[str]:
    found: list[str] = []
    for directory, _dirs, files in os.walk(root):
        found.extend(os.path.join(directory, f) for f in files if f in names)
    return found


@pytest.mark.parametrize("prefix", ["/media/", "/static/", "/uploads/", "/static/uploads/"])
def test_stored_upload_names_are_not_reachable_under_media_or_static(
    import_batch: ImportBatch,
    photo_report: Report,
    coordinator_a: User,
    prefix: str,
) -> None:
    assert import_batch.filename == CSV_NAME  # the name that was stored
    coordinator = client_for(coordinator_a)
    for client in (Client(), coordinator):
        for name in (CSV_NAME, PHOTO_NAME, f"{import_batch.pk}", f"{photo_report.pk}.jpg"):
            response = client.get(prefix + name)
            # no such URL for anyone, signed in or not (not a login page, never a file)
            assert response.status_code == 404, (prefix, name, response.status_code)
    # and nothing was written to disk under those names
    roots = {Path(settings.DATA_DIR), Path(settings.BASE_DIR)}
    assert not [p for root in roots for p in _files_named(root, {CSV_NAME, PHOTO_NAME})]
