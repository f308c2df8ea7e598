"""Content-Security-Policy on every response: scripts only from our own static files
(no inline script, no eval), nothing framed, forms posted only back to us.

Styles may be inline (templates carry small <style> blocks and Leaflet sets element
styles). Images may come from the map tile server when ``MAP_TILE_URL`` is set."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"


def tile_source(url: str) -> str:
    """The origin of a tile URL template, e.g. ``https://{s}.tile.example/{z}/{x}/{y}.png``
    → ``https://*.tile.example``; empty when there is none or it cannot be read."""
    if not url:
        return ""
    parts = urlsplit(url.replace("{s}", "subdomain-placeholder"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    host = parts.hostname.replace("subdomain-placeholder", "*")
    if "{" in host or "}" in host:
        return ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def build_policy(tile_url: str = "") -> str:
    images = " ".join(x for x in ("'self'", "data:", tile_source(tile_url)) if x)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            f"img-src {images}",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]
    )


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = build_policy(settings.MAP_TILE_URL)
        return response
