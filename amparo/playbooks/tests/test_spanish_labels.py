"""The walk found English field labels on Spanish pages: "Kind" on the contact sheet's
form and "Notice kind" on an audit state rule (model fields without a verbose name)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from amparo.cases.tests.conftest import member
from amparo.conftest import client_for


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "english"),
    [
        (reverse("playbooks:contacts"), '">Kind</label>'),
        (reverse("audits:rule_new", kwargs={"kind": "state"}), '">Notice kind</label>'),
    ],
)
def test_form_labels_are_spanish(network_a, url, english):
    page = client_for(member(network_a, ["coordinator"]), "es").get(url)
    assert page.status_code == 200
    assert english not in page.content.decode()
