"""Photos lose EXIF/GPS, are downscaled, and non-images or huge files are refused."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from amparo.reports.photos import MAX_SIDE, PhotoRefused, photo_clean


def with_gps(size=(3000, 2000)) -> bytes:
    image = Image.new("RGB", size, (10, 120, 10))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = {1: "N", 2: (42.0, 12.0, 15.0), 3: "W", 4: (72.0, 37.0, 0.0)}
    exif[0x8825] = gps  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_exif_and_gps_are_stripped_and_size_limited():
    raw = with_gps()
    assert Image.open(io.BytesIO(raw)).getexif().get(0x8825)  # GPS really was there
    clean = photo_clean(raw)
    image = Image.open(io.BytesIO(clean))
    assert image.format == "JPEG"
    assert not image.getexif() and "exif" not in image.info
    assert max(image.size) == MAX_SIDE
    assert b"PhoneMaker" not in clean


@pytest.mark.parametrize("raw", [b"", b"hello", b"\x89PNG\r\n\x1a\n broken", b"x" * (6 << 20)])
def test_non_images_and_huge_files_are_refused(raw):
    with pytest.raises(PhotoRefused):
        photo_clean(raw)


@pytest.mark.django_db
def test_stored_sealed_without_exif(network_a):
    from amparo.reports.models import ReportPhoto
    from amparo.reports.photos import photo_attach
    from amparo.reports.services import ReportInput, report_submit

    report = report_submit(network=network_a, source="web", data=ReportInput(details={}))
    photo_attach(report=report, raw=with_gps((200, 100)))
    stored = ReportPhoto.objects.get()
    image = Image.open(io.BytesIO(base64.b64decode(stored.data)))
    assert not image.getexif() and image.size == (200, 100)
