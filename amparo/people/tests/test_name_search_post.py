"""A typed name is personal data and never goes in a URL (query strings end up in proxy
logs, browser history and Referer headers). Every name search — the people list,
check-in, a committee's "add someone", a training's sign-up — is a POST answered
directly; a ``?q=`` in a URL is ignored; no redirect carries the name; a saved segment
never stores it; at most the first 50 matches are shown, and the page says so."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import unquote

import pytest
from django.urls import reverse
from django.utils import timezone

from amparo.conftest import client_for
from amparo.people import trainings as training_svc
from amparo.people.filters import PeopleFilter
from amparo.people.models import (
    Attendance,
    Committee,
    CommitteeMember,
    Segment,
    TrainingSignup,
    TrainingType,
)
from amparo.people.participation import NAME_SEARCH_SHOWN, activity_create
from amparo.people.segments import segment_save
from amparo.tests.factories import PersonFactory

MORE = "Only the first 50 matches are shown. Type more of the name to narrow the search."


@pytest.fixture
def people(network_a):
    return {
        "maria": PersonFactory.create(
            network=network_a, name="María Núñez", phone="+14135550901", roles=["driver"]
        ),
        "mario": PersonFactory.create(network=network_a, name="Mario Peña", phone="+14135550902"),
        "jose": PersonFactory.create(network=network_a, name="José Martínez", phone="+14135550903"),
    }


def _no_name_in(response, *words: str) -> None:
    """Neither the response's Location (if any) nor its URL carries the query."""
    location = unquote(response.get("Location", "")).lower()
    assert "q=" not in location
    for word in words:
        assert word.lower() not in location


def _search_form_posts(page: str, action: str) -> None:
    start = page.index(f'action="{action}"')
    form = page[page.rindex("<form", 0, start) : page.index("</form>", start)]
    assert 'method="post"' in form and 'name="q"' in form
    assert 'name="csrfmiddlewaretoken"' in form


# --- the people list ----------------------------------------------------------------------


@pytest.mark.django_db
def test_people_list_name_search_is_a_post_answered_directly(coordinator_a, people):
    client = client_for(coordinator_a)
    url = reverse("people:list")
    _search_form_posts(client.get(url).content.decode(), url)
    response = client.post(url, {"q": "maría nú"})
    assert response.status_code == 200
    _no_name_in(response, "mar", "núñez")
    page = response.content.decode()
    assert "María Núñez" in page and "Mario Peña" not in page and "José" not in page
    assert "1 person" in page
    assert 'value="maría nú"' in page  # the box keeps what was typed
    assert MORE not in page
    # a name search is never offered as a segment to save
    assert "Save segment" not in page


@pytest.mark.django_db
def test_people_list_name_search_keeps_the_other_filters_in_the_url(coordinator_a, people):
    client = client_for(coordinator_a)
    url = reverse("people:list") + "?roles=driver"
    page = client.get(url).content.decode()
    assert 'action="/people/?roles=driver"' in page  # the name box posts within the filter
    found = client.post(url, {"q": "mari"}).content.decode()
    assert "María Núñez" in found and "Mario Peña" not in found  # Mario is not a driver
    everyone = client.post(reverse("people:list"), {"q": "mari"}).content.decode()
    assert "María Núñez" in everyone and "Mario Peña" in everyone


@pytest.mark.django_db
def test_people_list_ignores_a_name_in_the_url(coordinator_a, people):
    client = client_for(coordinator_a)
    page = client.get(reverse("people:list"), {"q": "maría", "roles": "driver"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "1 person" in text and "María Núñez" in text  # only the role filter applies
    assert 'value="maría"' not in text and "q=" not in text
    everyone = client.get(reverse("people:list"), {"q": "zzz"}).content.decode()
    assert "3 people" in everyone


@pytest.mark.django_db
def test_people_list_name_search_shows_the_first_50_and_says_so(network_a, coordinator_a):
    for i in range(NAME_SEARCH_SHOWN + 2):
        PersonFactory.create(network=network_a, name=f"Persona Número{i}", phone=f"+1413556{i:04d}")
    client = client_for(coordinator_a)
    response = client.post(reverse("people:list"), {"q": "persona"})
    page = response.content.decode()
    assert "52 people" in page
    assert page.count("Persona Número") == NAME_SEARCH_SHOWN
    assert MORE in page
    assert 'class="pager"' not in page  # no pages: the name would have to be in their URL


@pytest.mark.django_db
def test_a_saved_segment_never_holds_a_name(network_a, coordinator_a, people):
    client = client_for(coordinator_a)
    url = reverse("people:list") + "?roles=driver&q=Mar%C3%ADa"
    response = client.post(url, {"name": "Drivers"})
    assert response.status_code == 302
    _no_name_in(response, "maría")
    segment = Segment.objects.get()
    assert segment.filters == {"roles": ["driver"], **_defaults()}
    assert "q" not in segment.filters
    # the service leaves the name out too, whatever filter it is given
    direct = segment_save(
        network=network_a, name="By hand", people_filter=PeopleFilter(q="María", roles=["driver"])
    )
    assert "q" not in direct.filters and direct.filters["roles"] == ["driver"]
    # PeopleFilter.q still works in code
    assert PeopleFilter(q="María").to_dict()["q"] == "María"
    assert "q" not in PeopleFilter(q="María").to_dict(include_name=False)


def _defaults() -> dict:
    """What an empty filter's ``to_dict`` holds besides what was chosen (defaults that
    are not "empty" values)."""
    return PeopleFilter().to_dict()


# --- check-in -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_check_in_search_is_a_post_and_a_name_in_the_url_is_ignored(network_a, volunteer_a, people):
    activity = activity_create(network=network_a, title="Asamblea", starts_at=timezone.now())
    client = client_for(volunteer_a)
    url = reverse("people:checkin", kwargs={"pk": activity.pk})
    _search_form_posts(client.get(url).content.decode(), url)
    ignored = client.get(url, {"q": "mari"}).content.decode()
    assert "María Núñez" not in ignored and "Tap to check in" not in ignored
    response = client.post(url, {"q": "mari"})
    assert response.status_code == 200
    _no_name_in(response, "mari")
    page = response.content.decode()
    assert "María Núñez" in page and "Mario Peña" in page and "José" not in page
    tap = client.post(
        reverse("people:checkin_person", kwargs={"pk": activity.pk}),
        {"person": people["maria"].pk, "q": "mari"},
    )
    assert tap.status_code == 302
    _no_name_in(tap, "mari", "núñez")
    assert Attendance.objects.filter(activity=activity, person=people["maria"]).exists()
    undo = client.post(
        reverse("people:checkin_undo", kwargs={"pk": activity.pk}),
        {"person": people["maria"].pk, "q": "mari"},
    )
    _no_name_in(undo, "mari", "núñez")


@pytest.mark.django_db
def test_check_in_search_shows_the_first_50_and_says_so(network_a, volunteer_a):
    for i in range(NAME_SEARCH_SHOWN + 1):
        PersonFactory.create(network=network_a, name=f"Persona Número{i}", phone=f"+1413557{i:04d}")
    activity = activity_create(network=network_a, title="Asamblea", starts_at=timezone.now())
    client = client_for(volunteer_a)
    page = client.post(
        reverse("people:checkin", kwargs={"pk": activity.pk}), {"q": "persona"}
    ).content.decode()
    assert page.count('class="checkin-tap"') == NAME_SEARCH_SHOWN
    assert MORE in page


# --- committees -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_committee_member_search_is_a_post_and_a_name_in_the_url_is_ignored(
    network_a, coordinator_a, people
):
    committee = Committee.objects.get(network=network_a, slug="solidarity")
    client = client_for(coordinator_a)
    url = reverse("people:committee", kwargs={"pk": committee.pk})
    _search_form_posts(client.get(url).content.decode(), url)
    ignored = client.get(url, {"q": "mari"}).content.decode()
    assert "María Núñez" not in ignored and "Add as member" not in ignored
    response = client.post(url, {"q": "mari"})
    assert response.status_code == 200
    _no_name_in(response, "mari")
    page = response.content.decode()
    assert "María Núñez" in page and "Mario Peña" in page and "José" not in page
    assert MORE not in page
    add = client.post(
        reverse("people:committee_member_add", kwargs={"pk": committee.pk}),
        {"person": people["maria"].pk, "q": "mari"},
    )
    assert add.status_code == 302
    _no_name_in(add, "mari", "núñez")
    assert CommitteeMember.objects.filter(committee=committee, person=people["maria"]).exists()
    # a member is no longer offered
    again = client.post(url, {"q": "mari"}).content.decode()
    assert again.count("Add as member") == 1


# --- trainings ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_training_sign_up_search_is_a_post_and_a_name_in_the_url_is_ignored(
    network_a, coordinator_a, people
):
    session = training_svc.session_create(
        network=network_a,
        training_type=TrainingType.objects.get(network=network_a, slug="orientation"),
        starts_at=timezone.now() + timedelta(days=7),
        language="es",
        capacity=10,
    )
    client = client_for(coordinator_a)
    url = reverse("people:training_session", kwargs={"pk": session.pk})
    _search_form_posts(client.get(url).content.decode(), url)
    ignored = client.get(url, {"q": "mari"}).content.decode()
    assert "María Núñez" not in ignored
    response = client.post(url, {"q": "mari"})
    assert response.status_code == 200
    _no_name_in(response, "mari")
    page = response.content.decode()
    assert "María Núñez" in page and "Mario Peña" in page and "José" not in page
    signup = client.post(
        reverse("people:training_signup", kwargs={"pk": session.pk}),
        {"person": people["maria"].pk, "q": "mari"},
    )
    assert signup.status_code == 302
    _no_name_in(signup, "mari", "núñez")
    assert TrainingSignup.objects.filter(session=session, person=people["maria"]).exists()
