from __future__ import annotations

import pytest
from django.urls import reverse

from amparo.accounts.models import AuditEvent
from amparo.conftest import client_for
from amparo.people.models import Person


@pytest.mark.django_db
def test_coordinator_adds_a_person_and_a_duplicate_phone_merges(coordinator_a, network_a):
    client = client_for(coordinator_a)
    data = {"name": "Rosa Núñez", "phone": "(413) 555-0123", "language": "es", "roles": ["driver"]}
    first = client.post(reverse("people:create"), data)
    person = Person.objects.get()
    assert first.status_code == 302 and person.name == "Rosa Núñez"
    assert person.phones.get().number == "+14135550123"
    again = client.post(
        reverse("people:create"),
        {"name": "Rosa N.", "phone": "413.555.0123", "language": "es", "other_languages": ["en"]},
    )
    assert again.status_code == 302 and Person.objects.count() == 1
    assert Person.objects.get().speaks() == ["es", "en"]


@pytest.mark.django_db
def test_adding_someone_already_known_only_adds(coordinator_a, network_a):
    """The form's English default must not turn a Spanish speaker's texts into English,
    nor replace their name or email: a merge adds languages and phones, keeps the rest."""
    client = client_for(coordinator_a)
    client.post(
        reverse("people:create"),
        {
            "name": "Rosa Núñez",
            "email": "rosa@example.org",
            "phone": "4135550123",
            "language": "es",
        },
    )
    client.post(
        reverse("people:create"),
        {"name": "R. N.", "email": "rosa@example.org", "phone": "4135550199", "language": "en"},
    )
    person = Person.objects.get()
    assert person.name == "Rosa Núñez" and person.email == "rosa@example.org"
    assert person.speaks() == ["es", "en"]
    assert sorted(p.number for p in person.phones.all()) == ["+14135550123", "+14135550199"]


@pytest.mark.django_db
def test_bad_phone_and_missing_contact_are_explained_in_spanish(coordinator_a):
    client = client_for(coordinator_a)
    client.cookies["amparo_language"] = "es"
    bad = client.post(reverse("people:create"), {"name": "X", "phone": "12", "language": "es"})
    assert bad.status_code == 200 and "dígitos" in bad.content.decode()
    none = client.post(reverse("people:create"), {"name": "X", "language": "es"})
    assert none.status_code == 200 and "correo" in none.content.decode()
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_person_page_is_audited_as_a_read_and_escapes_scripts(coordinator_a):
    client = client_for(coordinator_a)
    client.post(
        reverse("people:create"),
        {"name": "<script>alert(1)</script>", "phone": "4135550124", "language": "en"},
    )
    person = Person.objects.get()
    page = client.get(reverse("people:detail", kwargs={"pk": person.pk})).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert AuditEvent.objects.filter(action="read", target_id=str(person.pk)).count() == 1


@pytest.mark.django_db
def test_dashboard_shows_the_volunteer_pipeline(coordinator_a):
    page = client_for(coordinator_a).get("/").content.decode()
    assert "Volunteer pipeline" in page and "Signed up" in page and "Active" in page


@pytest.mark.django_db
def test_organizations_are_listed_per_network(coordinator_a, network_a, coordinator_b):
    from amparo.people.models import Organization, OrganizationMember
    from amparo.people.services import PersonData, person_upsert

    org = Organization.objects.create(network=network_a, kind="congregation", name="Iglesia Demo")
    person, _ = person_upsert(
        network=network_a, data=PersonData(name="Pastora Ruiz", phones=["+14135550125"])
    )
    OrganizationMember.objects.create(organization=org, person=person, role="pastor")
    page = client_for(coordinator_a).get(reverse("people:organization", kwargs={"pk": org.pk}))
    assert "Pastora Ruiz" in page.content.decode() and "pastor" in page.content.decode()
    assert (
        "Iglesia Demo"
        in client_for(coordinator_a).get(reverse("people:organizations")).content.decode()
    )
    other = client_for(coordinator_b)
    assert other.get(reverse("people:organization", kwargs={"pk": org.pk})).status_code == 404
    assert "Iglesia Demo" not in other.get(reverse("people:organizations")).content.decode()
