"""Report photos: verified, re-encoded to JPEG without EXIF/GPS, downscaled, sealed.

Re-encoding from the decoded pixels drops every metadata block the phone wrote (EXIF
with its GPS position, XMP, comments); nothing of the original file is kept.

The upload is only ever in memory (amparo/lib/uploads.py), and so is its decoding,
bounded: a JPEG is decoded already reduced to about the size kept (the decoder's DCT
scaling, ``Image.draft``), so a 40-megapixel phone photo takes a few megapixels of
memory, not 120 MB; whatever still decodes to more than ``MAX_DECODE_PIXELS`` is
refused; and the memory a decoding takes is reserved from the process's upload budget
(waiting a few seconds for it under load).
"""

from __future__ import annotations

import base64
import io
import warnings
from typing import Any

from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

from amparo.accounts.access import Refused
from amparo.lib.uploads import BUDGET, BUSY, upload_refusal

from .models import Report, ReportPhoto

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 1600
#: refuse images that would decode into more pixels than this (decompression bombs)
MAX_PIXELS = 40_000_000
#: and images that, reduced on load, still decode into more than this (bounded memory)
MAX_DECODE_PIXELS = 12_000_000


class PhotoRefused(Refused):
    """The upload is not an image we accept; ``message`` is for the person."""


def photo_read(upload: Any) -> bytes | None:
    """The bytes of an uploaded photo (None if none was sent), or PhotoRefused: too
    large (refused by its size, not read), or not received (see amparo/lib/uploads.py)."""
    if upload is None:
        return None
    if getattr(upload, "reason", "") == BUSY:
        raise PhotoRefused(upload_refusal(upload))
    if upload_refusal(upload) or (upload.size is not None and upload.size > MAX_BYTES):
        raise PhotoRefused(str(_("The photo is larger than 5 MB and was not accepted.")))
    data: bytes = upload.read(MAX_BYTES + 1)
    return data


def _busy() -> PhotoRefused:
    return PhotoRefused(
        str(
            _(
                "The photo was not kept: the server is busy with other photos. Please "
                "try again in a minute."
            )
        )
    )


def photo_clean(raw: bytes) -> bytes:
    """A JPEG of at most MAX_SIDE pixels a side, without any metadata, or PhotoRefused."""
    if len(raw) > MAX_BYTES:
        raise PhotoRefused(str(_("The photo is larger than 5 MB and was not accepted.")))
    not_image = str(_("The file is not a photo we can read and was not accepted."))
    too_large = str(_("The photo is too large and was not accepted."))
    if not raw:
        raise PhotoRefused(not_image)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                probe.verify()
            image: Image.Image = Image.open(io.BytesIO(raw))
            if image.width * image.height > MAX_PIXELS:
                raise PhotoRefused(too_large)
            # Reduce on load where the format can (JPEG): to no less than what is kept.
            scale = max(image.size) / MAX_SIDE
            if scale > 1:
                image.draft("RGB", (int(image.width / scale), int(image.height / scale)))
            if image.width * image.height > MAX_DECODE_PIXELS:
                raise PhotoRefused(too_large)
            bands = max(len(image.getbands()), 1)
            with BUDGET.held(image.width * image.height * bands, wait=0, refused=_busy):
                return _clean_pixels(image)
    except PhotoRefused:
        raise
    except Exception:  # any decoding problem: not an image we accept
        raise PhotoRefused(not_image) from None


def _clean_pixels(image: Image.Image) -> bytes:
    image.load()
    image.thumbnail((MAX_SIDE, MAX_SIDE))  # a square box: before turning it upright is fine
    image = ImageOps.exif_transpose(image) or image  # keep it upright, then drop EXIF
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
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
