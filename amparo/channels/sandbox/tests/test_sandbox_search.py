"""The sandbox phone names the (fictional) person behind each number, finds a phone by
number or by name (a POST: no name or number in a URL), and shows the numbers a page
at a time (issue 12 point 7)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from amparo.channels.sandbox.models import SandboxThread
from amparo.channels.sandbox.views import PAGE
from amparo.conftest import client_for
from amparo.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _thread(network, number: str, minutes_ago: int = 0) -> SandboxThread:
    return SandboxThread.objects.create(
        network=network,
        number=number,
        last_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def test_the_list_names_each_number_and_finds_by_number_or_name(
    network_a, network_b, coordinator_a
) -> None:
    PersonFactory.create(network=network_a, name="Rosa Fictional Ávila", phone="+14135550142")
    PersonFactory.create(network=network_a, name="Tomás Ejemplo", phone="+14135550143")
    PersonFactory.create(network=network_b, name="Rosa Other Network", phone="+14135550144")
    rosa = _thread(network_a, "+14135550142")
    _thread(network_a, "+14135550143", minutes_ago=1)
    _thread(network_a, "+14135550177", minutes_ago=2)  # nobody has it
    _thread(network_b, "+14135550144")
    client = client_for(coordinator_a)
    page = client.get(reverse("sandbox:list")).content.decode()
    assert "Rosa Fictional Ávila" in page and "(413) 555-0142" in page
    assert "Tomás Ejemplo" in page and "nobody in the network" in page
    assert "Rosa Other Network" not in page and "555-0144" not in page
    thread = client.get(reverse("sandbox:thread", kwargs={"pk": rosa.pk})).content.decode()
    assert "Rosa Fictional Ávila · (413) 555-0142" in thread

    def search(q: str) -> str:
        response = client.post(reverse("sandbox:list"), {"action": "search", "q": q})
        assert response.status_code == 200
        return response.content.decode()

    by_number = search("(413) 555-0143")
    assert "Tomás Ejemplo" in by_number
    assert "Rosa Fictional" not in by_number
    by_name = search("rosa avi")  # prefixes, accents folded
    assert "Rosa Fictional Ávila" in by_name and "Tomás" not in by_name
    assert "Rosa Other Network" not in by_name  # another network's person
    nothing = search("Nadie")
    assert "No phone with that number or name received a message." in nothing
    assert "Type a number or a name." in search("   ")


def test_the_list_pages(network_a, coordinator_a) -> None:
    for i in range(PAGE + 3):
        _thread(network_a, f"+1413555{i:04d}", minutes_ago=i)
    client = client_for(coordinator_a)
    first = client.get(reverse("sandbox:list")).content.decode()
    assert first.count('class="thread-number"') == PAGE
    assert "(413) 555-0000" in first and "(413) 555-0052" not in first
    assert 'href="?page=2"' in first
    second = client.get(reverse("sandbox:list"), {"page": 2}).content.decode()
    assert second.count('class="thread-number"') == 3 and "(413) 555-0052" in second
