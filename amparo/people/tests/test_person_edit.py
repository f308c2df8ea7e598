"""A coordinator corrects a person: what the edit page says replaces what was there."""

from __future__ import annotations

import pytest
from django.urls import reverse

from amparo.accounts.models import AuditEvent
from amparo.conftest import client_for
from amparo.lib.crypto.blind import phone_index
from amparo.people.models import Person
from amparo.people.services import PersonData, person_upsert


def _rosa(network: object) -> Person:
    person, _ = person_upsert(
        network=network,  # type: ignore[arg-type]
        data=PersonData(
            name="Rosa Nunes",
            phones=["+14135550123", "+14135550199"],
            email="rosa@example.org",
            language="es",
            other_languages=["en"],
            notes="nota",
        ),
    )
    return person


@pytest.mark.django_db
def test_a_coordinator_corrects_a_person(coordinator_a, network_a):
    person = _rosa(network_a)
    second = person.phones.get(number_index=phone_index("+14135550199"))
    client = client_for(coordinator_a)
    url = reverse("people:edit", kwargs={"pk": person.pk})
    detail = client.get(reverse("people:detail", kwargs={"pk": person.pk})).content.decode()
    assert url in detail
    page = client.get(url).content.decode()
    assert 'value="Rosa Nunes"' in page and "(413) 555-0199" in page
    assert 'value="rosa@example.org"' in page
    answer = client.post(
        url,
        {
            "name": "Rosa Núñez",
            "phone": "(413) 555-0123",
            "remove_phones": [str(second.pk)],
            "email": "rosa.n@example.org",
            "language": "en",
            "other_languages": [],
            "notes": "",
        },
    )
    assert answer.status_code == 302
    person = Person.objects.get(pk=person.pk)
    assert person.name == "Rosa Núñez" and person.email == "rosa.n@example.org"
    assert person.speaks() == ["en"] and person.notes == ""
    phone = person.phones.get()
    assert phone.number == "+14135550123" and phone.is_primary
    assert person.reach_sms and person.reach_email
    event = AuditEvent.objects.filter(
        action="update", target_type="people.person", target_id=str(person.pk)
    ).last()
    assert event is not None and event.actor == coordinator_a
    assert {"name", "email", "languages", "phones", "notes"} <= set(event.fields)


@pytest.mark.django_db
def test_a_new_primary_number_replaces_the_old_and_a_bad_post_keeps_what_was_typed(
    coordinator_a, network_a
):
    person = _rosa(network_a)
    client = client_for(coordinator_a)
    client.cookies["amparo_language"] = "es"
    url = reverse("people:edit", kwargs={"pk": person.pk})
    bad = client.post(url, {"name": "Rosa Núñez", "phone": "12", "language": "es"})
    assert bad.status_code == 400 and "dígitos" in bad.content.decode()
    assert 'value="Rosa Núñez"' in bad.content.decode()
    person_upsert(network=network_a, data=PersonData(name="Ana", email="ana@example.org"))
    taken = {"name": "Rosa Núñez", "phone": "4135550123", "language": "es"}
    taken_page = client.post(url, {**taken, "email": "ana@example.org"}).content.decode()
    assert "Otra persona de la red tiene este correo." in taken_page
    assert Person.objects.get(pk=person.pk).name == "Rosa Nunes"
    client.post(url, {"name": "Rosa", "phone": "4135550155", "language": "es", "email": ""})
    person = Person.objects.get(pk=person.pk)
    numbers = {p.number: p.is_primary for p in person.phones.all()}
    assert numbers == {"+14135550155": True, "+14135550199": False}
    assert person.email == "" and not person.reach_email


@pytest.mark.django_db
def test_another_networks_person_cannot_be_edited(coordinator_a, coordinator_b, network_a):
    person = _rosa(network_a)
    url = reverse("people:edit", kwargs={"pk": person.pk})
    client = client_for(coordinator_b)
    assert client.get(url).status_code == 404
    post = client.post(url, {"name": "X", "phone": "4135550100", "language": "en"})
    assert post.status_code == 404
    assert Person.objects.get(pk=person.pk).name == "Rosa Nunes"


@pytest.mark.django_db
def test_an_edit_keeps_what_the_form_does_not_show(coordinator_a, network_a):
    """A ZIP code beside its town is not offered in the form (one entry per town): the
    person's area there stays. A number the provider refused stays marked (the form shows
    it as it was; "It works again" restores it). Someone else's number is refused."""
    from amparo.people.places import places_add_zips
    from amparo.people.reach import reach_refresh
    from amparo.people.services import set_areas

    places_add_zips(network=network_a, by=coordinator_a, text="01040")
    zip_place = network_a.places.get(name="01040 Holyoke")
    person = _rosa(network_a)
    set_areas(person, places=[zip_place])
    person.phones.update(sms_ok=False, voice_ok=False)
    reach_refresh([person.pk])
    other, _ = person_upsert(
        network=network_a, data=PersonData(name="Otra", phones=["+14135550111"])
    )
    client = client_for(coordinator_a)
    url = reverse("people:edit", kwargs={"pk": person.pk})
    form = {
        "name": "Rosa N.",
        "phone": "(413) 555-0123",
        "language": "es",
        "email": "rosa@example.org",
    }
    assert client.post(url, form).status_code == 302
    person = Person.objects.get(pk=person.pk)
    assert person.name == "Rosa N." and [a.place_id for a in person.areas.all()] == [zip_place.pk]
    assert not person.phones.filter(sms_ok=True).exists() and not person.reach_sms
    taken = client.post(url, {**form, "phone": "(413) 555-0111"})
    assert (
        taken.status_code == 400
        and "Someone else in the network has this number" in taken.content.decode()
    )
    assert not person.phones.filter(number_index=phone_index("+14135550111")).exists()


@pytest.mark.django_db
def test_adding_a_removed_person_again_does_not_make_them_active(coordinator_a, network_a):
    person = _rosa(network_a)
    Person.objects.filter(pk=person.pk).update(status=Person.Status.REMOVED)
    client = client_for(coordinator_a)
    client.post(reverse("people:create"), {"name": "Rosa", "phone": "4135550123", "language": "es"})
    assert Person.objects.get(pk=person.pk).status == Person.Status.REMOVED
