"""The public forms' quick renderer writes the same markup as Django's widget templates."""

from __future__ import annotations

import pytest
from django.forms.renderers import DjangoTemplates

from amparo.people.forms_signup import SignupForm
from amparo.people.services import place_get_or_create
from amparo.reports.forms_public import ReportForm

NASTY = "<b>\"Tom\" & 'Jerry'</b>"


@pytest.mark.django_db
@pytest.mark.parametrize("bound", [False, True])
def test_the_quick_renderer_writes_what_the_templates_write(network_a, bound) -> None:
    place = place_get_or_create(network=network_a, name=NASTY, latitude=42.2, longitude=-72.6)
    data = {
        "activity": NASTY,
        "where": NASTY,
        "size": "3-5",
        "callback": "12",
        "place": str(place.pk),
        "name": NASTY,
        "email": "not an email",
        "language": "es",
        "other_languages": ["en", "pt"],
    }
    for form_class in (ReportForm, SignupForm):
        quick = form_class(data if bound else None, network=network_a)
        slow = form_class(data if bound else None, network=network_a, renderer=DjangoTemplates())
        if bound:
            assert not quick.is_valid() and not slow.is_valid()
        for name in quick.fields:
            assert str(quick[name]) == str(slow[name]), name
        assert "&lt;b&gt;&quot;Tom&quot;" in str(quick["place"])
