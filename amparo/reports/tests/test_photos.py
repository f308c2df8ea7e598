"""Photos lose EXIF/GPS, are downscaled, and non-images or huge files are refused."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image, ImageFile

from amparo.lib.uploads import BUDGET
from amparo.reports import photos
from amparo.reports.photos import MAX_SIDE, PhotoRefused, photo_clean


def with_gps(size=(3000, 2000), orientation=None) -> bytes:
    image = Image.new("RGB", size, (10, 120, 10))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    if orientation:
        exif[0x0112] = orientation
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


@pytest.fixture
def decoded(monkeypatch):
    """The size of every image decoded (loaded into memory), as it was decoded."""
    sizes: list[tuple[int, int]] = []
    load = ImageFile.ImageFile.load

    def spy(self):
        sizes.append(self.size)
        return load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return sizes


def test_a_40_megapixel_photo_is_kept_and_decoded_reduced(decoded):
    """Accepted, upright, without its GPS; but never held at 40 megapixels (120 MB of
    pixels in the request): the JPEG decoder reduces it on load."""
    raw = with_gps((7728, 5152), orientation=6)  # a phone held upright
    assert len(raw) <= photos.MAX_BYTES
    clean = photo_clean(raw)
    image = Image.open(io.BytesIO(clean))
    assert max(image.size) == MAX_SIDE and image.height > image.width  # turned upright
    assert not image.getexif() and b"PhoneMaker" not in clean
    assert decoded, "nothing was decoded"
    largest = max(w * h for w, h in decoded)
    assert largest <= 7728 * 5152 // 4 and largest <= photos.MAX_DECODE_PIXELS
    assert BUDGET.used == 0  # the decoding's memory was given back


def test_a_photo_that_would_still_decode_too_large_is_refused(monkeypatch, decoded):
    monkeypatch.setattr(photos, "MAX_DECODE_PIXELS", 100_000)
    out = io.BytesIO()
    Image.new("RGB", (400, 300), (1, 2, 3)).save(out, format="PNG")  # no reduce-on-load
    with pytest.raises(PhotoRefused, match="too large"):
        photo_clean(out.getvalue())
    assert decoded == []  # refused before decoding


def test_decoding_without_memory_says_busy_at_once(settings):
    """Review of issue 15: waiting (5 s) for memory held a request thread."""
    import time

    settings.UPLOAD_MEMORY_BUDGET = 1024 * 1024
    began = time.monotonic()
    with pytest.raises(PhotoRefused, match="busy"):
        photo_clean(with_gps((800, 600)))  # 1.4 MB of pixels: more than the whole budget
    assert time.monotonic() - began < 1
    assert BUDGET.used == 0
    assert photo_clean(with_gps((200, 100)))  # a small one fits
