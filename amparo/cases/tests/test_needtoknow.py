"""Need-to-know for cases: the team and coordinators open a case; anyone else in the
network (a hotline responder) gets 404, like another network's coordinator; every read
is in the audit log; the hotline's hand-off answers the same words either way."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from amparo.accounts.models import AuditEvent
from amparo.cases.models import Case, CaseEvent, CaseHandoff
from amparo.cases.services import a_number_clean, parse_names
from amparo.channels.models import Delivery
from amparo.conftest import client_for
from amparo.hotline.intake import intake_finish, intake_start
from amparo.reports.models import Incident, IncidentStatus

from .conftest import member, open_case


def _reads(case: Case, user) -> int:
    return AuditEvent.objects.filter(
        action=AuditEvent.Action.READ, actor=user, target_type="cases.case", target_id=str(case.pk)
    ).count()


@pytest.mark.django_db
def test_only_the_team_and_coordinators_open_a_case(
    network_a, coordinator_a, coordinator_b, legal_a, hotline_a
):
    case = open_case(network_a, coordinator_a, a_number="123", team=[(legal_a, "case-manager")])
    other_legal = member(network_a, ["case-manager"])
    url = f"/cases/{case.pk}/"
    for outsider in (hotline_a, other_legal, coordinator_b):
        client = client_for(outsider)
        assert client.get(url).status_code == 404
        assert client.get(f"/cases/{case.pk + 999}/").status_code == 404  # the same answer
        assert "Pérez" not in client.get("/cases/").content.decode()
        assert _reads(case, outsider) == 0
    for insider in (legal_a, coordinator_a):
        response = client_for(insider).get(url)
        assert response.status_code == 200
        page = response.content.decode()
        assert "Pérez López" in page and "000000123" in page  # what the locator needs
        assert _reads(case, insider) == 1
        assert "Pérez López" in client_for(insider).get("/cases/").content.decode()
        assert _reads(case, insider) == 2  # the list is a read too


@pytest.mark.django_db
def test_taking_someone_off_the_team_closes_the_case_to_them(network_a, coordinator_a, legal_a):
    case = open_case(network_a, coordinator_a, team=[(legal_a, "attorney")])
    client = client_for(legal_a)
    assert client.get(f"/cases/{case.pk}/").status_code == 200
    member_row = case.team.get()
    client_for(coordinator_a).post(f"/cases/{case.pk}/team/", {"remove": member_row.pk})
    assert client.get(f"/cases/{case.pk}/").status_code == 404


def _detained_intake(network, responder, name):
    intake = intake_start(network=network, responder=responder, situation="detained", language="es")
    intake_finish(
        intake=intake,
        actor=responder,
        outcome="callback",
        answers={"detainee_name": name, "callback_number": "+14135550399"},
        callback_due=timezone.now(),
    )
    return intake


@pytest.mark.django_db
def test_the_hand_off_answers_the_same_whether_a_case_exists(
    network_a, coordinator_a, legal_a, hotline_a
):
    case = open_case(network_a, coordinator_a, team=[(legal_a, "case-manager")])
    client = client_for(hotline_a)
    pages = []
    for name in ("Juan Pérez", "Nadie Existe"):
        intake = _detained_intake(network_a, hotline_a, name)
        url = f"/cases/handoff/{intake.pk}/"
        form = client.get(url)
        assert form.status_code == 200 and name in form.content.decode()  # pre-filled
        response = client.post(
            url, {"caller_number": "(413) 555-0399", "name_asked": name}, follow=True
        )
        assert response.redirect_chain[-1][0] == f"/hotline/intake/{intake.pk}/done/"
        said = re.search(r'<ul class="messages">.*?</ul>', response.content.decode(), re.S)
        assert said is not None
        pages.append(said.group(0))
    assert "Se pasó al equipo legal" in pages[0]  # the responder reads Spanish
    assert pages[0] == pages[1]  # what the responder is told does not depend on the case
    # The team was told about its case, by its number only; the number is on the timeline.
    told = [d for d in Delivery.objects.filter(purpose="case-handoff")]
    assert any(d.to_address == "+14135550301" for d in told)
    assert all("Pérez" not in d.body and "Juan" not in d.body for d in told)
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.HANDOFF)
    assert "+14135550399" in event.note
    handoffs = list(CaseHandoff.objects.order_by("id"))
    assert [h.case_id for h in handoffs] == [case.pk, None]
    # The unmatched one waits on the coordinators' list of cases, not on the team's.
    assert "Nadie Existe" in client_for(coordinator_a).get("/cases/").content.decode()
    assert "Nadie Existe" not in client_for(legal_a).get("/cases/").content.decode()


@pytest.mark.django_db
def test_several_cases_from_a_confirmed_incident_in_one_step(network_a, coordinator_a, legal_a):
    incident = Incident.objects.create(
        network=network_a, status=IncidentStatus.CONFIRMED, confirmed_at=timezone.now()
    )
    client = client_for(legal_a)
    page = client.get(f"/incidents/{incident.pk}/")  # the legal role lacks the console
    assert page.status_code == 403
    url = f"/cases/incident/{incident.pk}/"
    assert f'href="{url}"' in client.get("/cases/").content.decode()  # reached from the list
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "names": "Ana María / Gómez Ruiz\nLuis, Torres\n\nPedro Vega",
            "detained_at": "2026-01-05T06:30",
        },
    )
    assert response.status_code == 302
    cases = list(Case.objects.filter(incident=incident).order_by("id"))
    assert [(c.given_names, c.family_names) for c in cases] == [
        ("Ana María", "Gómez Ruiz"),
        ("Luis", "Torres"),
        ("Pedro", "Vega"),
    ]
    assert {c.state.slug for c in cases} == {"detained"}
    # The legal member who opened them is their case manager: they see them.
    assert all(c.team.filter(user=legal_a, role__slug="case-manager").exists() for c in cases)
    shown = client_for(coordinator_a).get(f"/incidents/{incident.pk}/").content.decode()
    assert "Gómez Ruiz" in shown and "Open cases for detained workers" in shown


@pytest.mark.django_db
def test_no_cases_from_an_unconfirmed_incident(network_a, legal_a):
    incident = Incident.objects.create(network=network_a)
    response = client_for(legal_a).post(f"/cases/incident/{incident.pk}/", {"names": "Ana / Gómez"})
    assert response.status_code == 200
    assert "incidente confirmado" in response.content.decode()  # Spanish, like legal_a
    assert not Case.objects.exists()


def test_a_numbers_and_names():
    assert a_number_clean("A 12-345-678") == "012345678"
    assert a_number_clean("") == ""
    for bad in ("1234567890", "A12x45", "none"):
        with pytest.raises(ValidationError):
            a_number_clean(bad)
    assert parse_names("  Juan  Carlos /Pérez \n") == [("Juan Carlos", "Pérez")]


@pytest.mark.django_db
def test_a_bad_a_number_is_refused_and_nothing_is_lost(network_a, coordinator_a, legal_a):
    case = open_case(network_a, coordinator_a, a_number="123", team=[(legal_a, "case-manager")])
    response = client_for(legal_a).post(
        f"/cases/{case.pk}/edit/",
        {
            "given_names": "Juan Carlos",
            "family_names": "Pérez López",
            "a_number": "12345678901",
            "language": "es",
            "notes": "<script>alert(1)</script>",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["form"].errors["a_number"]
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    case.refresh_from_db()
    assert case.a_number == "000000123"


@pytest.mark.django_db
def test_cases_from_hotline_intakes_keep_what_the_caller_gave(network_a, coordinator_a, hotline_a):
    intake = intake_start(
        network=network_a, responder=hotline_a, situation="detained", language="es"
    )
    intake_finish(
        intake=intake,
        actor=hotline_a,
        outcome="callback",
        answers={
            "detainee_name": "Marta / Ríos Peña",
            "a_number": "98765",
            "country_of_birth": "Honduras",
            "callback_number": "+14135550398",
        },
        callback_due=timezone.now(),
    )
    incident = Incident.objects.create(
        network=network_a, status=IncidentStatus.RESPONDING, confirmed_at=timezone.now()
    )
    client = client_for(coordinator_a)
    url = f"/cases/incident/{incident.pk}/"
    assert "Marta / Ríos Peña" in client.get(url).content.decode()  # offered by name
    assert client.post(url, {"names": "Luis / Torres", "intakes": [intake.pk]}).status_code == 302
    case = Case.objects.get(intake=intake)
    assert (case.given_names, case.family_names) == ("Marta", "Ríos Peña")
    assert (case.a_number, case.country_of_birth) == ("000098765", "Honduras")
    assert Case.objects.filter(incident=incident).count() == 2
    # A hotline responder who did not take the intake is never offered it.
    other = member(network_a, ["hotline", "dispatcher"])
    assert "Ríos Peña" not in client_for(other).get(url).content.decode()
