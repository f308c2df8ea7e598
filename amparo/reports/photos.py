"""Report photos: verified, re-encoded to JPEG without EXIF/GPS, downscaled, sealed.

Re-encoding from the decoded pixels drops every metadata block the phone wrote (EXIF
with its GPS position, XMP, comments); nothing of the original file is kept.
"""

from __future__ import annotations

import base64
import io
import warnings

from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

from amparo.accounts.access import Refused

from .models import Report, ReportPhoto

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 1600
#: refuse images that would decode into more pixels than this (decompression bombs)
MAX_PIXELS = 40_000_000


class PhotoRefused(Refused):
    """The upload is not an image we accept; ``message`` is for the person."""


def photo_clean(raw: bytes) -> bytes:
    """A JPEG of at most MAX_SIDE pixels a side, without any metadata, or PhotoRefused."""
    if len(raw) > MAX_BYTES:
        raise PhotoRefused(str(_("The photo is larger than 5 MB and was not accepted.")))
    not_image = str(_("The file is not a photo we can read and was not accepted."))
    if not raw:
        raise PhotoRefused(not_image)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                probe.verify()
            image: Image.Image = Image.open(io.BytesIO(raw))
            if image.width * image.height > MAX_PIXELS:
                raise PhotoRefused(str(_("The photo is too large and was not accepted.")))
            image.load()
    except PhotoRefused:
        raise
    except Exception:  # any decoding problem: not an image we accept
        raise PhotoRefused(not_image) from None
    image = ImageOps.exif_transpose(image) or image  # keep it upright, then drop EXIF
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    clean = Image.new(image.mode, image.size)
    clean.paste(image)  # pixels only: no info, no exif carried over
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=82, optimize=True)
    return out.getvalue()


def photo_attach(*, report: Report, raw: bytes) -> ReportPhoto:
    """Clean and seal a photo for a report (raises PhotoRefused)."""
    return photo_save(report=report, data=photo_clean(raw))


def photo_save(*, report: Report, data: bytes) -> ReportPhoto:
    """Seal a photo already cleaned by :func:`photo_clean` for a report."""
    return ReportPhoto.objects.create(
        report=report,
        data=base64.b64encode(data).decode(),
        content_type="image/jpeg",
        size=len(data),
    )
