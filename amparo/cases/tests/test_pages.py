"""The case list and a case's page do not grow their queries with the rows they show."""

from __future__ import annotations

import pytest
from django.utils import timezone

from amparo.alerts.models import Facility
from amparo.cases.models import Case
from amparo.cases.services import case_transfer
from amparo.conftest import client_for, count_queries
from amparo.people.models import Organization

from .conftest import open_case


@pytest.mark.django_db
def test_the_case_list_and_page_queries_do_not_grow(network_a, coordinator_a, legal_a):
    facility = Facility.objects.create(network=network_a, name="Centro", latitude=42, longitude=-72)
    team = [(legal_a, "case-manager")]
    case = open_case(network_a, coordinator_a, team=team, screening={"sole_caregiver": True})
    client = client_for(legal_a)
    before, page = count_queries(client, "/cases/")
    assert "Sole caregiver" in page or "Único cuidador/a" in page
    case_before, _page = count_queries(client, f"/cases/{case.pk}/")
    for n in range(4):
        open_case(network_a, coordinator_a, team=team, given_names=f"Persona {n}")
        case_transfer(case=case, to_facility=facility, moved_at=timezone.now(), actor=legal_a)
    after, page = count_queries(client, "/cases/")
    assert page.count("/cases/") >= 5
    assert after == before
    case_after, _page = count_queries(client, f"/cases/{case.pk}/")
    assert case_after == case_before


@pytest.mark.django_db
def test_a_workplace_abuse_case_with_its_fields_and_referral(network_a, legal_a, hotline_a):
    union = Organization.objects.create(network=network_a, kind="union", name="Sindicato Local 7")
    Organization.objects.create(network=network_a, kind="congregation", name="Iglesia San Juan")
    client = client_for(legal_a)
    page = client.get("/cases/new/").content.decode()
    assert "Sindicato Local 7" in page and "Iglesia San Juan" in page  # referral choices
    response = client.post(
        "/cases/new/",
        {
            "kind": "workplace",
            "given_names": "Rosa",
            "family_names": "Ortiz",
            "language": "es",
            "employer": "Empacadora Ficticia",
            "abuses": ["wage_theft", "retaliation"],
            "amount_owed": "$1,200",
            "referral": union.pk,
        },
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.kind == "workplace" and case.state.slug == "open"
    assert case.details["abuses"] == ["wage_theft", "retaliation"]
    assert case.referral == union
    page = client.get(response["Location"]).content.decode()
    assert "Empacadora Ficticia" in page and "Sindicato Local 7" in page
    # the one who opened it manages it; a hotline responder gets 404
    assert case.team.filter(user=legal_a, role__slug="case-manager").exists()
    assert client_for(hotline_a).get(response["Location"]).status_code == 404
    assert client_for(hotline_a).get("/cases/new/").status_code == 403


@pytest.mark.django_db
def test_roles_and_trainings_are_data(network_a):
    from amparo.accounts.models import Role
    from amparo.accounts.roles import Cap
    from amparo.cases.models import CaseState, CaseTeamRole
    from amparo.people.models import PersonRole

    assert Cap.LEGAL in Role.objects.get(slug="case-manager").capabilities
    assert Cap.CASES_ALL in Role.objects.get(slug="coordinator").capabilities
    assert Cap.CASES_ALL not in Role.objects.get(slug="legal").capabilities
    accompanier = PersonRole.objects.get(network=network_a, slug="court-accompanier")
    assert set(accompanier.required_trainings.values_list("slug", flat=True)) == {
        "orientation",
        "court-accompaniment",
    }
    assert set(CaseTeamRole.objects.filter(network=network_a).values_list("slug", flat=True)) == {
        "case-manager",
        "attorney",
        "accompanier",
    }
    assert CaseState.objects.get(network=network_a, slug="closed").closes
