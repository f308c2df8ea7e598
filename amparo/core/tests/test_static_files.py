"""Static files as a browser gets them (issue 14, point 5): hashed names cached for a
year, gzip or br when the browser asks, a favicon at /favicon.ico, and no <style> block
inside <main> (the styles live in the stylesheet, cached with it)."""

from __future__ import annotations

import re

import pytest
from django.test import Client


def _stylesheet(html: str) -> str:
    match = re.search(
        r'<link rel="stylesheet" href="(/static/amparo/amparo\.[0-9a-f]{12}\.css)"', html
    )
    assert match, "the page names the stylesheet by its hashed name"
    return match.group(1)


@pytest.mark.django_db
def test_hashed_static_files_are_long_cached_and_compressed_when_asked():
    client = Client()
    url = _stylesheet(client.get("/accounts/login/").content.decode())
    plain = client.get(url)
    assert plain.status_code == 200 and "Content-Encoding" not in plain
    assert "max-age=315360000" in plain["Cache-Control"] and "immutable" in plain["Cache-Control"]
    size = int(plain["Content-Length"])
    for encoding in ("br", "gzip"):
        packed = client.get(url, HTTP_ACCEPT_ENCODING=f"{encoding}, deflate")
        assert packed["Content-Encoding"] == encoding
        assert int(packed["Content-Length"]) < size / 2
        assert "Accept-Encoding" in packed["Vary"]


@pytest.mark.django_db
def test_favicon_is_served():
    response = Client().get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_page_styles_live_in_the_stylesheet_not_in_main():
    """A <style> block in a page sits inside <main> (base.html's content block), is sent
    with every page and never cached: styles belong in amparo.css. No template under
    amparo/templates (or an app's templates) has one, included fragments too."""
    from pathlib import Path

    from django.conf import settings

    roots = [Path(settings.BASE_DIR) / "templates", *Path(settings.BASE_DIR).glob("*/templates")]
    with_style = {
        str(path.relative_to(root))
        for root in roots
        for path in root.rglob("*.html")
        if "<style" in path.read_text(encoding="utf-8")
    }
    assert with_style == set()
