"""The referral directory: organizations by need and name, one network only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from amparo.conftest import client_for
from amparo.hotline.referrals import referrals_search
from amparo.people.models import Organization


@pytest.fixture
def directory(network_a, network_b):
    make = Organization.objects.create
    return {
        "legal": make(network=network_a, kind="legal", name="Valley Immigrant Legal Aid"),
        "union": make(network=network_a, kind="union", name="UFCW Local 1459"),
        "church": make(network=network_a, kind="congregation", name="Iglesia San José"),
        "office": make(network=network_a, kind="office", name="Consulado de México"),
        "other": make(network=network_b, kind="legal", name="Other Network Legal"),
    }


@pytest.mark.django_db
def test_search_by_need_and_name(network_a, directory):
    legal = referrals_search(network=network_a, need="legal")
    assert legal == [directory["legal"]]
    workplace = referrals_search(network=network_a, need="workplace")
    assert workplace == [directory["union"], directory["legal"]]  # union first
    assert referrals_search(network=network_a, text="josé") == [directory["church"]]
    everyone = referrals_search(network=network_a)
    assert directory["other"] not in everyone and len(everyone) == 4


@pytest.mark.django_db
def test_directory_page(network_a, coordinator_a, volunteer_a, directory):
    client = client_for(coordinator_a)
    page = client.get(reverse("hotline:referrals"), {"need": "office"}).content.decode()
    assert "Consulado de México" in page and "Valley Immigrant" not in page
    assert "Other Network" not in client.get(reverse("hotline:referrals")).content.decode()
    bad = client.get(reverse("hotline:referrals"), {"need": "<script>"})
    assert bad.status_code == 200
    assert client_for(volunteer_a).get(reverse("hotline:referrals")).status_code == 403
