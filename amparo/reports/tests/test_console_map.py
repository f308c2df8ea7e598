"""The console's map works without a tile server (a plain outline of the incidents'
approximate areas, drawn by the page itself, named towns) and with one when configured;
it never is an image holding focusable controls (axe: nested-interactive; issue 12
point 7, issue 14 point 3)."""

from __future__ import annotations

import re

import pytest
from django.templatetags.static import static
from django.urls import reverse

from amparo.conftest import client_for, make_user
from amparo.people.services import place_get_or_create
from amparo.reports.services import ReportInput, report_submit

pytestmark = pytest.mark.django_db
TOWNS = {"Holyoke": (42.2043, -72.6162), "Northampton": (42.3251, -72.6412)}


def _reports(network) -> None:
    for name, (lat, lng) in TOWNS.items():
        place = place_get_or_create(network=network, name=name, latitude=lat, longitude=lng)
        report_submit(  # from the hotline: a known source, on top (not in the folded group)
            network=network,
            source="hotline",
            data=ReportInput(
                details={"activity": "x"}, point={"lat": lat, "lng": lng}, place=place
            ),
        )


def _map_element(html: str) -> str:
    match = re.search(r'<(svg|div)[^>]*id="console-map".*?</\1>', html, re.S)
    assert match, "the console has a map"
    return match.group(0)


FOCUSABLE = re.compile(r"<(a|button|input|select|textarea)\b|tabindex=", re.I)


def test_without_a_tile_server_the_map_is_a_plain_outline_of_named_places(network_a, settings):
    settings.MAP_TILE_URL = ""
    _reports(network_a)
    dispatcher = make_user(network_a, "dee@a.example", ["dispatcher"])
    client = client_for(dispatcher)
    html = client.get(reverse("reports:console")).content.decode()
    assert "leaflet" not in html  # no map library, no tile request
    svg = _map_element(html)
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert not FOCUSABLE.search(svg)  # an image with nothing in it to focus
    assert svg.count("<circle") == 2
    assert ">Holyoke</text>" in svg and ">Northampton</text>" in svg
    assert "2 places" in svg
    # Northampton is north of Holyoke: drawn higher (smaller y) in the outline
    ys = {
        p["label"]: p["y"]
        for p in client.get(reverse("reports:console_feed")).json()["map"]["points"]
    }
    assert ys["Northampton"] < ys["Holyoke"]
    spanish = client_for(dispatcher, language="es").get(reverse("reports:console")).content
    svg_es = _map_element(spanish.decode())
    assert 'cx="' in svg_es and not re.search(r'c[xy]="\d+,\d', svg_es)  # no decimal commas


def test_with_a_tile_server_the_map_is_a_region_not_an_image(network_a, settings):
    settings.MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    _reports(network_a)
    dispatcher = make_user(network_a, "dee@a.example", ["dispatcher"])
    html = client_for(dispatcher).get(reverse("reports:console")).content.decode()
    assert static("vendor/leaflet/leaflet.js") in html  # hashed name, as deployed
    element = _map_element(html)
    # Leaflet puts zoom buttons and links in it: a region may hold controls, an image may not
    assert 'role="region"' in element and 'role="img"' not in element
    assert 'data-tile-url="https://tiles.example.org/{z}/{x}/{y}.png"' in element
