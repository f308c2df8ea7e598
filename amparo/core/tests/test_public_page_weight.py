"""Public pages stay light and work without JavaScript (issue 14): a worker on a cheap
phone with a weak signal opens the report form, the sign-up or the status page. Each
page with every asset it loads (stylesheets and the images they name, scripts, images,
the favicon) weighs under 100 KB uncompressed; and the report form, sent with no
JavaScript at all (no proof-of-work answer), is accepted."""

from __future__ import annotations

import re
import time
from urllib.parse import urljoin

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from amparo.people.services import place_get_or_create
from amparo.reports.models import Report

LIMIT = 100_000
ASSET = re.compile(r'<(?:link|script|img)\b[^>]*?\b(?:href|src)="([^"]+)"')
CSS_URL = re.compile(r"url\(['\"]?([^'\")]+)['\"]?\)")


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def weigh(client: Client, url: str) -> tuple[int, list[str]]:
    page = client.get(url, follow=True)
    assert page.status_code == 200, url
    html = _body(page).decode()
    total, loaded = len(_body(page)), ["/favicon.ico"]
    loaded += [a for a in ASSET.findall(html) if a.startswith("/") and not a.startswith("//")]
    seen: set[str] = set()
    while loaded:
        asset = loaded.pop()
        if asset in seen or asset.startswith("data:"):
            continue
        seen.add(asset)
        response = client.get(asset)
        assert response.status_code == 200, f"{url} loads {asset}: {response.status_code}"
        body = _body(response)
        total += len(body)
        if asset.split("?")[0].endswith(".css"):
            loaded += [urljoin(asset, u) for u in CSS_URL.findall(body.decode())]
    return total, sorted(seen)


@pytest.mark.django_db
def test_public_pages_weigh_under_100_kb_with_every_asset(network_a):
    client = Client()
    slug = network_a.slug
    pages = [
        "/accounts/login/",
        f"/report/{slug}/",
        f"/report/{slug}/done/",
        f"/report/status/{slug}/",
        f"/join/{slug}/",
        f"/join/{slug}/thanks/?by=sms",
    ]
    weights = {url: weigh(client, url) for url in pages}
    heavy = {url: w for url, (w, _assets) in weights.items() if w >= LIMIT}
    assert heavy == {}
    assert all("/favicon.ico" in assets for _w, assets in weights.values())


@pytest.mark.django_db
def test_the_report_form_works_without_javascript(network_a):
    holyoke = place_get_or_create(network=network_a, name="Holyoke", latitude=42.2, longitude=-72.6)
    client = Client()
    url = f"/report/{network_a.slug}/"
    html = client.get(url).content.decode()
    form = re.search(r'<form method="post"[^>]*class="[^"]*report-form[^"]*".*?</form>', html, re.S)
    assert form and 'type="submit"' in form.group(0)
    challenge = re.search(r'name="pow_challenge" value="([^"]*)"', html)
    # what the browser sends: the typed text, the chosen town, the "When?" shown selected
    data = {"activity": "agentes en la entrada", "place": str(holyoke.pk), "time": "now"}
    data["pow_nonce"] = ""  # no JavaScript: no proof-of-work answer
    if challenge:
        data["pow_challenge"] = challenge.group(1)
    # a person takes a while to fill it in (faster is refused as a robot's)
    with time_machine.travel(time.time() + settings.SIGNUP_NOJS_MIN_AGE + 5):
        response = client.post(url, data)
    assert response.status_code == 302, re.findall(
        r"class=\"error[^>]*>([^<]+)", response.content.decode()
    )
    assert "/done/" in response["Location"]
    assert Report.objects.filter(network=network_a).count() == 1
