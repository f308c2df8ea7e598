"""Towns and ZIP codes (/people/places/): offline look-ups of centroids, add, edit,
delete (refused while in use), bulk ZIP codes; coordinators only, their network only."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from amparo.accounts.models import AuditEvent, Network, User
from amparo.conftest import client_for
from amparo.lib import geo
from amparo.people.models import CoverageCell, PeopleVersion, PersonArea, Place
from amparo.people.places import (
    place_delete,
    place_save,
    places_add_zips,
    town_find,
    zip_find,
)
from amparo.people.services import place_get_or_create, place_lookup, set_areas
from amparo.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

LIST = "/people/places/"
ADD = "/people/places/add/"


def test_lookups_work_offline() -> None:
    holyoke = zip_find("01040")
    assert holyoke is not None and holyoke.town == "Holyoke" and holyoke.state == "MA"
    assert abs(holyoke.latitude - 42.2) < 0.1 and abs(holyoke.longitude + 72.6) < 0.1
    assert zip_find("00000") is None and zip_find("abc") is None and zip_find("") is None
    town = town_find("holyoke", "ma")  # any case
    assert town is not None and town.postal_codes == ("01040",)  # street ZIPs only
    assert town_find("Holyoke", "TX") is None and town_find("Holyoke", "") is None


def test_place_save_validates_and_moves_areas(network_a: Network, coordinator_a: User) -> None:
    kw: dict[str, Any] = {
        "network": network_a,
        "by": coordinator_a,
        "kind": "town",
        "postal_code": "",
    }
    with pytest.raises(ValidationError):
        place_save(**kw, name="Lejos", latitude=91.0, longitude=0.5)
    with pytest.raises(ValidationError):
        place_save(**kw, name="Lejos", latitude=None, longitude=None)
    with pytest.raises(ValidationError):
        place_save(**kw, name="Cero", latitude=0.0, longitude=0.0)
    with pytest.raises(ValidationError):
        place_save(**{**kw, "kind": "zip"}, name="Z", latitude=42.0, longitude=-72.0)
    place = place_save(**kw, name="Holyoke", latitude=42.2, longitude=-72.6)
    with pytest.raises(ValidationError):  # the same name twice
        place_save(**kw, name="HOLYOKE", latitude=42.2, longitude=-72.6)
    person = PersonFactory.create(network=network_a)
    area = PersonArea.objects.create(person=person, place=place, cell=place.h3_cell)
    place_save(**kw, name="Holyoke", latitude=42.15, longitude=-72.61, place=place)
    area.refresh_from_db()
    assert area.cell == geo.cell_for(42.15, -72.61) == Place.objects.get(pk=place.pk).h3_cell
    with pytest.raises(ValidationError):  # in use: stays
        place_delete(place=place, by=coordinator_a)
    area.delete()
    place_delete(place=place, by=coordinator_a)
    assert not Place.objects.filter(pk=place.pk).exists()
    actions = set(
        AuditEvent.objects.filter(target_type="people.place").values_list("action", flat=True)
    )
    assert {AuditEvent.Action.CREATE, AuditEvent.Action.UPDATE, AuditEvent.Action.DELETE} <= actions


def test_a_moved_place_moves_its_peoples_coverage(network_a: Network, coordinator_a: User) -> None:
    """Alerts pick people by their coverage cells: a corrected centroid must move them."""
    kw: dict[str, Any] = {"network": network_a, "by": coordinator_a, "kind": "town"}
    place = place_save(**kw, postal_code="", name="Wrongtown", latitude=42.2, longitude=-72.6)
    other = place_save(**kw, postal_code="", name="Springfield", latitude=42.1, longitude=-72.59)
    person, bystander = PersonFactory.create_batch(2, network=network_a)
    set_areas(person, places=[place], points=[{"lat": 40.7, "lng": -74.0, "radius_km": 2.0}])
    set_areas(bystander, places=[other])
    kept = set(CoverageCell.objects.filter(person=bystander).values_list("cell", flat=True))
    version = PeopleVersion.objects.get(network=network_a, bucket=-1).version
    place_save(
        **kw, postal_code="", name="Wrongtown", latitude=34.05, longitude=-118.25, place=place
    )
    after = set(CoverageCell.objects.filter(person=person).values_list("cell", flat=True))
    wanted = set(geo.cells_within(34.05, -118.25, 5.0)) | set(geo.cells_within(40.7, -74.0, 2.0))
    assert after == wanted
    assert set(CoverageCell.objects.filter(person=bystander).values_list("cell", flat=True)) == kept
    assert PeopleVersion.objects.get(network=network_a, bucket=-1).version != version


def test_bulk_zips_add_zips_and_their_towns(network_a: Network, coordinator_a: User) -> None:
    result = places_add_zips(
        network=network_a, by=coordinator_a, text="01040, 01020\n01040 99999 hello"
    )
    names = sorted(p.name for p in result.added)
    assert names == ["01020 Chicopee", "01040 Holyoke", "Chicopee", "Holyoke"]
    assert result.unknown == ["hello", "99999"]
    again = places_add_zips(network=network_a, by=coordinator_a, text="01040")
    assert again.added == [] and again.already == 1
    # imports and the public report find them by town or ZIP code
    town, zip_code = (place_lookup(network=network_a, text=t) for t in ("holyoke", "01020"))
    assert town is not None and town.kind == "town"
    assert zip_code is not None and zip_code.name == "01020 Chicopee"


def test_the_page_from_the_dashboard(network_a: Network, coordinator_a: User) -> None:
    client = client_for(coordinator_a)
    assert LIST in client.get("/").content.decode()
    assert client.get(LIST).status_code == 200
    # look up fills the form; nothing is saved yet
    looked = client.post(ADD, {"kind": "zip", "postal_code": "01040", "lookup": "1"})
    page = looked.content.decode()
    assert 'value="01040 Holyoke"' in page and 'value="42.202"' in page
    assert not Place.objects.filter(network=network_a).exists()
    # saving with the ZIP code alone looks it up too
    saved = client.post(ADD, {"kind": "zip", "postal_code": "01040", "save": "1"})
    assert saved.status_code == 302
    place = Place.objects.get(network=network_a)
    assert (place.name, place.postal_code, place.latitude) == ("01040 Holyoke", "01040", 42.202)
    # a town by name and state; then by hand when nothing is found
    client.post(ADD, {"kind": "town", "name": "Springfield", "state": "MA", "save": "1"})
    town = Place.objects.get(network=network_a, name="Springfield")
    assert 42.0 < town.latitude < 42.2
    bad = client.post(ADD, {"kind": "town", "name": "Nowhere", "state": "MA", "save": "1"})
    assert bad.status_code == 400 and b"latitude and longitude" in bad.content
    manual = {"kind": "town", "name": "Nowhere", "latitude": "42.3", "longitude": "-72.5"}
    assert client.post(ADD, {**manual, "save": "1"}).status_code == 302
    # edit, delete
    edit = f"/people/places/{town.pk}/"
    data = {"kind": "town", "name": "Springfield", "latitude": "42.1", "longitude": "-72.55"}
    assert client.post(edit, {**data, "save": "1"}).status_code == 302
    assert Place.objects.get(pk=town.pk).latitude == 42.1
    client.post(f"/people/places/{town.pk}/delete/")
    assert not Place.objects.filter(pk=town.pk).exists()
    # bulk
    client.post(LIST, {"zips": "01020", "towns": "on"})
    assert Place.objects.filter(network=network_a, name="Chicopee").exists()


def test_who_may_and_other_networks(
    network_a: Network, network_b: Network, coordinator_b: User, volunteer_a: User
) -> None:
    place = place_get_or_create(network=network_a, name="Secreto", latitude=42.2, longitude=-72.6)
    assert client_for(volunteer_a).get(LIST).status_code == 403
    assert client_for(volunteer_a).get(f"/people/places/{place.pk}/").status_code == 403
    other = client_for(coordinator_b)
    assert "Secreto" not in other.get(LIST).content.decode()
    assert other.get(f"/people/places/{place.pk}/").status_code == 404
    assert other.post(f"/people/places/{place.pk}/delete/").status_code == 404
    assert Place.objects.filter(pk=place.pk).exists()


def test_the_page_in_spanish(coordinator_a: User) -> None:
    page = client_for(coordinator_a, language="es").get(LIST).content.decode()
    assert "Pueblos y códigos postales" in page


def test_town_lists_show_each_town_once(network_a: Network, coordinator_a: User) -> None:
    """A ZIP code added with its town ("01040 Holyoke" beside "Holyoke") is not a second
    entry in the lists of towns to pick from; a ZIP code without its town stays."""
    from amparo.people.forms import PeopleFilterForm, PersonForm
    from amparo.people.forms_signup import SignupForm
    from amparo.reports.forms_public import ReportForm

    places_add_zips(network=network_a, by=coordinator_a, text="01040 01020")
    places_add_zips(network=network_a, by=coordinator_a, text="01002", towns=False)
    wanted = ["01002 Amherst", "Chicopee", "Holyoke"]
    assert sorted(p.name for p in Place.choices(network_a)) == wanted
    fields: list[Any] = [
        PersonForm(network=network_a).fields["places"],
        PeopleFilterForm(network=network_a).fields["places"],
        SignupForm(network=network_a).fields["place"],
        ReportForm(network=network_a).fields["place"],
    ]
    for field in fields:
        labels = sorted(str(label) for pk, label in field.choices if pk)  # not the "—"
        assert labels == wanted
