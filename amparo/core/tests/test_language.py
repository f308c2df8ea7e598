from __future__ import annotations

import gettext

import pytest
from babel.messages.pofile import read_po
from django.urls import reverse

from amparo.accounts.models import User
from amparo.conftest import client_for
from amparo.core import i18n


@pytest.mark.django_db
def test_language_switch_works_without_login_and_sets_a_cookie(client):
    response = client.post(reverse("set_language"), {"language": "es", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response.cookies["amparo_language"].value == "es"
    page = client.get("/accounts/login/").content.decode()
    assert '<html lang="es">' in page
    assert "Iniciar sesión" in page


@pytest.mark.django_db
def test_unknown_language_falls_back_to_english(client):
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    client.cookies["amparo_language"] = "klingon"
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="tlh").content.decode()
    assert '<html lang="en">' in page
    assert "Log in" in page


@pytest.mark.django_db
def test_switching_remembers_a_users_language(coordinator_a):
    client = client_for(coordinator_a)
    client.post(reverse("set_language"), {"language": "es", "next": "/"})
    assert User.objects.get(pk=coordinator_a.pk).language == "es"
    # a new browser (no cookie) gets the user's language after log-in
    fresh = client_for(User.objects.get(pk=coordinator_a.pk))
    assert '<html lang="es">' in fresh.get("/").content.decode()


@pytest.mark.django_db
def test_every_page_has_the_language_switch(client, coordinator_a):
    for url in ("/accounts/login/", "/accounts/password/reset/"):
        assert 'name="language"' in client.get(url).content.decode()
    assert 'name="language"' in client_for(coordinator_a).get("/").content.decode()


def test_spanish_catalogue_is_complete_and_compiled():
    """Every string in the code is in the catalogue, translated, and in the committed .mo."""
    extracted = i18n.extract_messages()
    with i18n.po_path("es").open("rb") as fh:
        catalogue = read_po(fh, locale="es")
    missing = [m.id for m in extracted if m.id and catalogue.get(m.id, context=m.context) is None]
    assert not missing, "run `amparo messages` and translate: " + repr(missing[:5])
    untranslated = [
        m.id
        for m in catalogue
        if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))
    ]
    assert not untranslated, repr(untranslated[:5])
    with i18n.po_path("es").with_suffix(".mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    for message in catalogue:
        if message.id and not message.pluralizable and not message.context:
            assert compiled.gettext(str(message.id)) == message.string, message.id


def test_every_model_has_a_translated_name():
    """Pages show models by name ("recent activity"): each model names itself in a lazy
    translation the Spanish catalogue has (and so does its plural, when given)."""
    from django.apps import apps
    from django.utils import translation
    from django.utils.functional import Promise

    with i18n.po_path("es").open("rb") as fh:
        catalogue = read_po(fh, locale="es")
    unnamed = []
    for model in apps.get_models():
        if not model.__module__.startswith("amparo."):
            continue
        for option in ("verbose_name", "verbose_name_plural"):
            given = model._meta.original_attrs.get(option)
            if given is None and option == "verbose_name_plural":
                continue
            with translation.override("en"):
                message = catalogue.get(str(given)) if isinstance(given, Promise) else None
            if message is None or not message.string:
                unnamed.append(f"{model._meta.label}.{option}")
    assert unnamed == []


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_sentence_ending_in_a_time_ends_in_one_period(language):
    from datetime import datetime

    from django.template import Context, Template
    from django.utils import timezone, translation

    from amparo.twofactor.passkeys import _locked_error

    sentence = Template(
        '{% load i18n %}{% blocktranslate with since=t|date:"SHORT_DATETIME_FORMAT" %}'
        "Since {{ since }}.{% endblocktranslate %}"
        '{% blocktranslate with to="X" when=t|date:"DATETIME_FORMAT" %}'
        "Delivered to {{ to }} on {{ when }}.{% endblocktranslate %}"
    )
    zone = timezone.get_current_timezone()
    for hour, minute in [(15, 5), (12, 0), (0, 0), (9, 30)]:
        moment = datetime(2026, 12, 5, hour, minute, tzinfo=zone)
        with translation.override(language):
            shown = sentence.render(Context({"t": moment}))
            locked = _locked_error(moment).message
        assert ".." not in shown and ".." not in locked, (shown, locked)
        assert f"{hour % 12 or 12 if language == 'en' else hour}:{minute:02d}" in shown
