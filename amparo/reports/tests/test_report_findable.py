"""Issue 13, point 1: the report form is easy to find and never loses what was typed.

``/report/`` leads to the form (or a chooser); the public pages link to each other; the
hotline number is a tap-to-call link; a form sent too fast without JavaScript comes back
as typed and never counts toward a limit; past a limit the page says so in the person's
language, shows back what they typed, and offers the hotline and the SMS keyword.
"""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from amparo.conftest import make_network
from amparo.people import antiabuse
from amparo.people.services import place_get_or_create
from amparo.reports.models import Report

CHALLENGE = re.compile(r'name="pow_challenge" value="([^"]+)"')
HOTLINE = "+14135550100"
ES = {"Accept-Language": "es"}
TYPED = {
    "activity": "Agentes de ICE en la puerta «norte» & camionetas",
    "where": "Planta empacadora, calle Main 12",
    "size": "6-10",
    "uniform": "HSI",
    "time": "15",
    "equipment": "3 camionetas blancas",
    "callback": "(413) 555-0123",
}


@pytest.fixture(autouse=True)
def _cheap_pow(settings):
    settings.SIGNUP_POW_BITS = 4


@pytest.fixture
def net(network_a):
    network_a.hotline_number = HOTLINE
    network_a.save()
    return network_a


def form_url(network):
    return reverse("report_form", kwargs={"network": network.slug})


def challenge_of(page) -> str:
    found = CHALLENGE.search(page.content.decode())
    assert found is not None
    return found.group(1)


def typed_back(body: str, data: dict[str, str]) -> None:
    """Every typed value is in the page again, in its field (escaped)."""
    assert re.search(r">\s*Agentes de ICE en la puerta «norte» &amp; camionetas</textarea>", body)
    assert 'name="where" value="Planta empacadora, calle Main 12"' in body
    assert 'name="equipment" value="3 camionetas blancas"' in body
    assert 'name="callback" value="(413) 555-0123"' in body
    assert re.search(r'<option value="6-10" selected>', body)
    assert re.search(r'<option value="HSI" selected>', body)
    assert re.search(r'<option value="15" selected>', body)
    assert re.search(rf'<option value="{data["place"]}" selected>', body)


@pytest.mark.django_db
def test_report_root_leads_to_the_only_network_s_form(net):
    response = Client().get("/report/")
    assert response.status_code == 302
    assert response["Location"] == form_url(net)


@pytest.mark.django_db
def test_report_root_lists_the_networks_when_there_are_several(net, network_b):
    closed = make_network("net-off", "Closed Network")
    closed.is_active = False
    closed.save()
    response = Client().get("/report/", headers=ES)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'lang="es"' in body
    assert f'href="{form_url(net)}"' in body and f'href="{form_url(network_b)}"' in body
    assert "/report/net-off/" not in body
    assert "Reportar a Network A" in body
    assert "<h1>Elija su red</h1>" in body  # the same page for reports, sign-ups and status


@pytest.mark.django_db
def test_public_pages_link_to_each_other(net):
    report = form_url(net)
    status = reverse("report_status", kwargs={"network": net.slug})
    signup = reverse("signup", kwargs={"network_slug": net.slug})
    client = Client()
    login = client.get(reverse("login"), headers=ES).content.decode()
    assert re.search(rf'<a class="button primary" href="{report}" id="report-a-raid">', login)
    assert "Reportar una redada" in login
    for url, others in (
        (reverse("login"), (status, signup)),
        (report, (status, signup)),
        (status, (report, signup)),
        (signup, (report, status)),
    ):
        body = client.get(url).content.decode()
        links = re.search(r'<nav class="public-links".*?</nav>', body, re.S)
        assert links is not None, url
        for other in others:
            assert f'href="{other}"' in links.group(0), (url, other)


@pytest.mark.django_db
def test_login_page_with_several_networks_leads_to_the_chooser(net, network_b):
    login = Client().get(reverse("login")).content.decode()
    assert 'href="/report/" id="report-a-raid"' in login


@pytest.mark.django_db
def test_the_hotline_number_is_a_tap_to_call_link(net):
    body = Client().get(form_url(net)).content.decode()
    assert '<a href="tel:+14135550100" class="nowrap">(413) 555-0100</a>' in body
    status = Client().get(reverse("report_status", kwargs={"network": net.slug}))
    assert '<a href="tel:+14135550100" class="nowrap">(413) 555-0100</a>' in status.content.decode()


@pytest.mark.django_db
def test_too_fast_comes_back_as_typed_and_never_counts(net, settings):
    settings.SIGNUP_NOJS_MIN_AGE = 60
    settings.REPORT_RATE_LIMITS = [[1, 600]]
    settings.REPORT_NOJS_RATE_LIMITS = [[1, 600]]
    place = place_get_or_create(network=net, name="Holyoke", latitude=42.2, longitude=-72.6)
    data = {**TYPED, "place": str(place.pk)}
    client = Client()
    challenge = challenge_of(client.get(form_url(net), headers=ES))
    for _ in range(4):  # more than every limit: none of them counts
        photo = SimpleUploadedFile("raid.jpg", b"\xff\xd8 not kept", content_type="image/jpeg")
        response = client.post(
            form_url(net),
            {**data, "pow_challenge": challenge, "pow_nonce": "", "photo": photo},
            headers=ES,
        )
        assert response.status_code == 200
        body = response.content.decode()
        assert "Su reporte todavía no se envió" in body
        assert "Su foto no se pudo guardar con el formulario" in body
        typed_back(body, data)
        # the same challenge: the time already spent reading counts
        assert challenge_of(response) == challenge
    assert not Report.objects.exists()
    settings.SIGNUP_NOJS_MIN_AGE = 0  # the wait is over
    response = client.post(form_url(net), {**data, "pow_challenge": challenge}, headers=ES)
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.details["activity"] == TYPED["activity"]


@pytest.mark.django_db
def test_past_a_limit_the_page_shows_what_was_typed_and_the_other_ways(net, settings):
    settings.SIGNUP_NOJS_MIN_AGE = 0
    settings.REPORT_NOJS_RATE_LIMITS = [[1, 600]]
    place = place_get_or_create(network=net, name="Holyoke", latitude=42.2, longitude=-72.6)
    data = {**TYPED, "place": str(place.pk)}
    client = Client()
    for expected in (302, 429):
        challenge = challenge_of(client.get(form_url(net), headers=ES))
        response = client.post(form_url(net), {**data, "pow_challenge": challenge}, headers=ES)
        assert response.status_code == expected
    body = response.content.decode()
    assert 'lang="es"' in body
    assert "Su reporte no se ha enviado." in body
    assert "Se enviaron demasiados reportes desde aquí" in body
    typed_back(body, data)
    assert '<a href="tel:+14135550100" class="nowrap">(413) 555-0100</a>' in body
    assert "REPORTE" in body
    assert 'href="sms:+14135550100?body=REPORTE%20Agentes%20de%20ICE' in body
    assert Report.objects.count() == 1
    # the page's own form (a fresh challenge) sends it once the window has passed
    settings.REPORT_NOJS_RATE_LIMITS = [[5, 600]]
    solved = {"pow_challenge": challenge_of(response)}
    solved["pow_nonce"] = antiabuse.pow_solve(challenge=solved["pow_challenge"], bits=4)
    again = client.post(form_url(net), {**data, **solved}, headers=ES)
    assert again.status_code == 302
    assert Report.objects.count() == 2


@pytest.mark.django_db
def test_a_refused_csrf_check_gives_the_report_back_as_typed(net):
    place = place_get_or_create(network=net, name="Holyoke", latitude=42.2, longitude=-72.6)
    data = {**TYPED, "place": str(place.pk)}
    client = Client(enforce_csrf_checks=True)
    challenge = challenge_of(client.get(form_url(net), headers=ES))
    client.cookies.clear()  # a browser that did not keep the cookie
    response = client.post(form_url(net), {**data, "pow_challenge": challenge}, headers=ES)
    assert response.status_code == 403
    body = response.content.decode()
    assert "Su reporte todavía no se envió: su navegador no devolvió" in body
    assert '<a href="tel:+14135550100" class="nowrap">(413) 555-0100</a>' in body
    typed_back(body, data)
    assert not Report.objects.exists()
    other = client.post(reverse("login"), {"username": "x", "password": "y"}, headers=ES)
    assert other.status_code == 403
    assert "No se pudo comprobar este formulario" in other.content.decode()
