"""The Content-Security-Policy header, and no inline script left in any template."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from amparo.conftest import client_for
from amparo.core.middleware_csp import HEADER, build_policy, tile_source

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def test_no_template_has_an_inline_script_or_event_handler():
    inline = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text, re.IGNORECASE):
            if "src=" not in tag:
                inline.append(f"{path.relative_to(TEMPLATES)}: {tag}")
        if re.search(r"\son[a-z]+\s*=\s*[\"']", text) or "javascript:" in text:
            inline.append(f"{path.relative_to(TEMPLATES)}: an inline handler")
    assert not inline, inline


def test_policy_forbids_inline_scripts_and_framing():
    policy = build_policy()
    directives = dict(d.split(" ", 1) for d in policy.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'" and directives["form-action"] == "'self'"
    assert directives["img-src"] == "'self' data:"


@pytest.mark.parametrize(
    "url,source",
    [
        ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", "https://*.tile.openstreetmap.org"),
        ("https://tiles.example.org:8443/{z}/{x}/{y}.png", "https://tiles.example.org:8443"),
        ("", ""),
        ("/local/{z}/{x}/{y}.png", ""),
    ],
)
def test_the_tile_server_is_allowed_for_images(url, source):
    assert tile_source(url) == source
    if source:
        assert f"img-src 'self' data: {source};" in build_policy(url)


@pytest.mark.django_db
def test_pages_carry_the_header(coordinator_a, settings):
    if "amparo.core.middleware_csp.ContentSecurityPolicyMiddleware" not in settings.MIDDLEWARE:
        settings.MIDDLEWARE = [
            *settings.MIDDLEWARE,
            "amparo.core.middleware_csp.ContentSecurityPolicyMiddleware",
        ]
    settings.MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    for response in (client_for(coordinator_a).get("/"), Client().get("/healthz")):
        policy = response[HEADER]
        assert "script-src 'self';" in policy
        assert "img-src 'self' data: https://tiles.example.org;" in policy
