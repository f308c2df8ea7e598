"""Findings of a first-time-user walk of the cases pages (WALK17.md)."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from amparo.cases.models import Case
from amparo.conftest import client_for
from amparo.reports.models import Incident, IncidentStatus

from .conftest import member, open_case


def _raid(network):
    return Incident.objects.create(
        network=network, status=IncidentStatus.CONFIRMED, confirmed_at=timezone.now()
    )


@pytest.mark.django_db
def test_a_dispatcher_never_opens_cases_without_a_team(network_a, coordinator_a, legal_a):
    """Walk 2: "(me)" is offered only to someone who can manage a case; a dispatcher
    chooses a case manager (preset to the network's case manager), never nobody."""
    incident = _raid(network_a)
    dispatcher = member(network_a, ["dispatcher"], language="en")
    client = client_for(dispatcher)
    url = f"/cases/incident/{incident.pk}/"
    form = client.get(url).context["form"]
    choices = [str(label) for _value, label in form.fields["case_manager"].choices]
    assert "(me)" not in choices
    assert form.fields["case_manager"].required
    assert form.initial.get("case_manager") == legal_a.pk  # the network's case manager
    response = client.post(url, {"names": "Ana / Gómez", "case_manager": ""})
    assert response.status_code == 200 and not Case.objects.exists()
    assert response.context["form"].errors["case_manager"]
    assert "Ana / Gómez" in response.content.decode()  # what was typed is kept
    response = client.post(url, {"names": "Ana / Gómez", "case_manager": legal_a.pk})
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.team.filter(user=legal_a, role__slug="case-manager").exists()
    # A legal member is still offered "(me)".
    form = client_for(legal_a).get(url).context["form"]
    assert any(v == "" for v, _label in form.fields["case_manager"].choices)


@pytest.mark.django_db
def test_the_incident_page_counts_its_cases_without_names(network_a, coordinator_a, legal_a):
    """Walk 3: a dispatcher not on the team sees how many cases came from the incident,
    their numbers and who manages them, never a name; and finds the case list."""
    incident = _raid(network_a)
    team = [(legal_a, "case-manager")]
    one = open_case(network_a, coordinator_a, team=team, incident=incident, family_names="Zafiro")
    two = open_case(network_a, coordinator_a, team=team, incident=incident, family_names="Ámbar")
    open_case(network_a, coordinator_a, team=team, family_names="Otro")  # another incident's
    dispatcher = member(network_a, ["dispatcher"], language="en")
    page = client_for(dispatcher).get(f"/incidents/{incident.pk}/").content.decode()
    assert "No cases opened from this incident." not in page
    assert "2 cases were opened from this incident" in page
    assert f"Case {one.pk}" in page and f"Case {two.pk}" in page
    assert "you are not on their team" in page
    assert legal_a.display_name in page  # who manages them
    assert "Zafiro" not in page and "Ámbar" not in page and "Juan Carlos" not in page
    assert f'href="/cases/{one.pk}/"' not in page  # no link that would answer 404
    # the Cases link is in the dispatcher's menu; their list shows no names either
    assert 'href="/cases/"' in page
    listing = client_for(dispatcher).get("/cases/").content.decode()
    assert "Zafiro" not in listing and "Juan Carlos" not in listing


@pytest.mark.django_db
def test_a_name_already_opened_from_the_incident_is_skipped_unless_confirmed(
    network_a, coordinator_a, legal_a
):
    """Walk 4: the same name (accents aside) on the same incident is warned about and
    skipped; ticking the confirmation opens it anyway."""
    incident = _raid(network_a)
    open_case(
        network_a,
        coordinator_a,
        incident=incident,
        given_names="Rosa Elena",
        family_names="García Cruz",
    )
    client = client_for(legal_a)
    url = f"/cases/incident/{incident.pk}/"
    response = client.post(url, {"names": "Rosa Elena / Garcia Cruz"})
    assert response.status_code == 200
    assert Case.objects.filter(incident=incident).count() == 1
    assert response.context["form"].errors
    response = client.post(url, {"names": "Rosa Elena / Garcia Cruz\nLuis / Torres"})
    assert response.status_code == 302  # the other one is opened, the copy skipped
    assert Case.objects.filter(incident=incident).count() == 2
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("Rosa Elena Garcia Cruz" in m for m in messages)
    # twice in one batch is a copy too
    response = client.post(url, {"names": "Ana / Gómez\nAna / Gomez"})
    assert Case.objects.filter(incident=incident).count() == 3
    response = client.post(url, {"names": "Rosa Elena / García Cruz", "open_duplicates": "on"})
    assert response.status_code == 302
    assert Case.objects.filter(incident=incident).count() == 4


@pytest.mark.django_db
def test_a_name_without_a_separator_is_not_split_silently(network_a, legal_a):
    """Walk 5: "Rosa Elena Garcia Cruz" is refused with a clear error and kept."""
    incident = _raid(network_a)
    client = client_for(legal_a, language="en")
    url = f"/cases/incident/{incident.pk}/"
    response = client.post(url, {"names": "Luis / Torres\nRosa Elena Garcia Cruz"})
    assert response.status_code == 200
    assert not Case.objects.exists()
    errors = " ".join(response.context["form"].errors["names"])
    assert "Rosa Elena Garcia Cruz" in errors and "/" in errors
    assert "Rosa Elena Garcia Cruz" in response.content.decode()
    # two words are unambiguous: given, family
    assert client.post(url, {"names": "Luis Torres"}).status_code == 302
    assert Case.objects.get().family_names == "Torres"


@pytest.mark.django_db
def test_a_hand_off_without_a_case_opens_one_and_is_counted(
    network_a, coordinator_a, legal_a, hotline_a
):
    """Walk 1: a hand-off that matched no case links to a case opened from it (the name
    and the caller's number sealed in it, never in the URL), and the dashboard counts
    the waiting ones for coordinators and case managers."""
    from amparo.cases.handoff import handoff_record
    from amparo.cases.models import CaseEvent, CaseHandoff

    handoff = handoff_record(
        network=network_a,
        responder=hotline_a,
        caller_number="(413) 555-0399",
        name_asked="Marta Ríos Peña",
    )
    coordinator = client_for(coordinator_a, language="en")
    home = coordinator.get("/").content.decode()
    assert "1 hotline hand-off waits for a case" in home
    assert "Marta" not in home
    assert (
        "1 hotline hand-off waits for a case"
        in client_for(legal_a, language="en").get("/").content.decode()
    )
    listing = coordinator.get("/cases/").content.decode()
    url = f"/cases/new/?handoff={handoff.pk}"
    assert f'href="{url}"' in listing
    form = coordinator.get(url)
    assert form.context["form"].initial["kind"] == "detention"
    assert "Marta Ríos Peña" in form.content.decode()
    response = coordinator.post(
        url,
        {
            "kind": "detention",
            "given_names": "Marta",
            "family_names": "Ríos Peña",
            "language": "es",
        },
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert "Marta" not in response["Location"] and "555" not in response["Location"]
    handoff.refresh_from_db()
    assert handoff.case == case
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.HANDOFF)
    assert "+14135550399" in event.note
    assert not CaseHandoff.objects.filter(case__isnull=True).exists()
    assert "hand-off waits" not in coordinator.get("/").content.decode()
    # a hand-off is not a way in for someone without the coordinator's view of them
    assert client_for(legal_a).get(url).context["form"].initial.get("given_names") in (None, "")


def test_the_spanish_words_of_the_cases_pages():
    """Walk, Spanish: usted throughout; counsel "habló con la persona" (not "llegó"),
    "abogado/a" throughout; the hand-off has one name ("pase al equipo legal")."""
    from django.utils import translation
    from django.utils.translation import gettext

    with translation.override("es"):
        assert gettext("Nothing waits for you to verify.") == "Nada espera su verificación."
        assert gettext("Counsel reached the person") == "El/la abogado/a habló con la persona"
        assert gettext("Counsel") == "Abogado/a"
        for msgid in (
            "72 hours to counsel",
            "More than 72 hours and no counsel yet.",
            "past 72 hours without counsel",
            "When counsel reached the person",
        ):
            said = gettext(msgid)
            assert "abogado/a" in said and "llegó" not in said, said
        assert "pase" in gettext("Hand-offs from the hotline without a case").lower()
        assert "traspaso" not in gettext("hand-off")


@pytest.mark.django_db
def test_the_case_managers_home_puts_the_most_urgent_first_with_flags(
    network_a, coordinator_a, legal_a
):
    """Walk 8: past 72 hours without counsel first, then the least time left; the
    screening flags shown."""
    from datetime import timedelta

    now = timezone.now()
    team = [(legal_a, "case-manager")]
    late = open_case(
        network_a,
        coordinator_a,
        team=team,
        detained_at=now - timedelta(hours=80),
        screening={"sole_caregiver": True},
    )
    soon = open_case(network_a, coordinator_a, team=team, detained_at=now - timedelta(hours=60))
    for n in range(7):  # newer cases with more time left
        open_case(
            network_a,
            coordinator_a,
            team=team,
            given_names=f"Persona {n}",
            detained_at=now - timedelta(hours=3),
        )
    page = client_for(legal_a, language="en").get("/").content.decode()
    card = page[page.index('id="card-legal"') :]
    first, second = card.index(f"Case {late.pk}<"), card.index(f"Case {soon.pk}<")
    assert first < second < card.index("h left to reach counsel")
    assert "Sole caregiver" in card[first:second]


@pytest.mark.django_db
def test_the_coordinators_home_does_not_call_every_case_theirs(network_a, coordinator_a, legal_a):
    """Walk 12: next to "no open case has you on its team", a coordinator's link to the
    list does not say "All your cases"."""
    open_case(network_a, coordinator_a, team=[(legal_a, "case-manager")])
    page = client_for(coordinator_a, language="en").get("/").content.decode()
    assert "All your cases" not in page
    assert "Every case of the network" in page
    assert "All your cases" in client_for(legal_a, language="en").get("/").content.decode()


@pytest.mark.django_db
def test_the_case_forms_show_the_fields_of_their_kind(network_a, coordinator_a, legal_a):
    """Walk 15: a detention's forms do not ask for an employer or wages owed; a
    workplace-abuse case's do not ask for an A-number."""
    client = client_for(legal_a, language="en")
    detention = client.get("/cases/new/?kind=detention").context["form"].fields
    assert "a_number" in detention and "detained_at" in detention
    assert not {"employer", "abuses", "amount_owed"} & set(detention)
    workplace = client.get("/cases/new/?kind=workplace").context["form"].fields
    assert "employer" in workplace and "amount_owed" in workplace
    assert not {"a_number", "facility", "detained_at"} & set(workplace)
    case = open_case(network_a, coordinator_a, team=[(legal_a, "case-manager")])
    page = client.get(f"/cases/{case.pk}/edit/")
    assert "employer" not in page.context["form"].fields
    assert "Wages owed" not in page.content.decode()
    response = client.post(
        "/cases/new/?kind=detention",
        {"given_names": "Ana", "family_names": "Gómez", "a_number": "12345", "language": "es"},
    )
    assert response.status_code == 302
    opened = Case.objects.exclude(pk=case.pk).get()
    assert opened.kind == "detention" and opened.a_number == "000012345"


@pytest.mark.django_db
def test_the_team_form_and_the_locator_link(network_a, coordinator_a, legal_a):
    """Walk 16: no member preset on the team form; "Remove from the team"; the
    locator's address is a link that sends nothing (no referrer, nothing in it)."""
    case = open_case(network_a, coordinator_a, team=[(legal_a, "case-manager")])
    response = client_for(legal_a, language="en").get(f"/cases/{case.pk}/")
    form = response.context["team_form"]
    assert form.fields["user"].choices[0][0] == ""
    page = response.content.decode()
    assert "Remove from the team" in page and "take off" not in page
    assert (
        '<a href="https://locator.ice.gov/odls/" id="locator-link" rel="noreferrer noopener"'
        in page
    )


@pytest.mark.django_db
def test_the_case_list_says_which_incident_a_case_came_from(network_a, coordinator_a, legal_a):
    """Walk 10: the list names the incident; a link for whoever may open it."""
    incident = _raid(network_a)
    open_case(network_a, coordinator_a, team=[(legal_a, "case-manager")], incident=incident)
    page = client_for(coordinator_a, language="en").get("/cases/").content.decode()
    assert f'<a href="/incidents/{incident.pk}/">from incident {incident.pk}</a>' in page
    page = client_for(legal_a, language="en").get("/cases/").content.decode()
    assert f"from incident {incident.pk}" in page
    assert f'href="/incidents/{incident.pk}/"' not in page  # the legal role has no console


@pytest.mark.django_db
def test_the_clock_shows_its_deadline_and_counsel_its_time(network_a, coordinator_a, legal_a):
    """Walk 9: the 72-hour clock names when it ends; the counsel line of the timeline
    is at the time entered, not when it was typed."""
    from datetime import datetime, timedelta

    from amparo.cases.models import CaseEvent

    detained = timezone.now() - timedelta(hours=30)
    case = open_case(
        network_a, coordinator_a, team=[(legal_a, "case-manager")], detained_at=detained
    )
    client = client_for(legal_a, language="en")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    deadline = timezone.localtime(detained + timedelta(hours=72))
    assert f'datetime="{deadline.isoformat()}"' in page or (
        f'datetime="{deadline.replace(microsecond=0).isoformat()}"' in page
    )
    assert "The 72 hours end at:" in page
    spoke = timezone.localtime(timezone.now() - timedelta(hours=5)).replace(second=0, microsecond=0)
    client.post(f"/cases/{case.pk}/counsel/", {"counsel-at": spoke.strftime("%Y-%m-%dT%H:%M")})
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.COUNSEL)
    assert event.at == spoke
    assert isinstance(event.at, datetime)


@pytest.mark.django_db
def test_a_transfer_is_kept_with_its_date_and_time(network_a, coordinator_a, legal_a):
    """Walk 9: a transfer asks for date and time, like counsel; a future one is refused."""
    from datetime import timedelta

    from amparo.alerts.models import Facility

    facility = Facility.objects.create(network=network_a, name="Lejano", latitude=31, longitude=-72)
    case = open_case(network_a, coordinator_a, team=[(legal_a, "case-manager")])
    client = client_for(legal_a, language="en")
    moved = timezone.localtime(timezone.now() - timedelta(hours=2)).replace(second=0, microsecond=0)
    url = f"/cases/{case.pk}/transfer/"
    later = moved + timedelta(hours=4)
    client.post(
        url, {"transfer-to_facility": facility.pk, "transfer-moved_at": f"{later:%Y-%m-%dT%H:%M}"}
    )
    assert not case.transfers.exists()
    client.post(
        url, {"transfer-to_facility": facility.pk, "transfer-moved_at": f"{moved:%Y-%m-%dT%H:%M}"}
    )
    assert case.transfers.get().moved_at == moved
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f'datetime="{moved.isoformat()}"' in page
