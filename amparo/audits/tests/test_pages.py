"""The audit pages: who may open them, the dashboard's order and query count, notices
with the workers they name, bad input, no-match letters, Spanish."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from amparo.audits import services
from amparo.audits.models import AffectedWorker, Audit, NoMatchLetter, NoticeKind
from amparo.conftest import client_for, make_user
from amparo.people.models import Organization, OrganizationMember
from amparo.tests.factories import PersonFactory


@pytest.fixture
def plant(network_a: Any) -> Organization:
    return Organization.objects.create(
        network=network_a, kind=Organization.Kind.WORKPLACE, name="Planta Sur", state="CA"
    )


@pytest.fixture
def steward_user(network_a: Any) -> Any:
    return make_user(network_a, "sara@a.example", ["steward"], name="Sara Delegada")


def _open(network: Any, workplace: Organization, days: int) -> Audit:
    return services.audit_open(
        network=network, workplace=workplace, served_on=timezone.localdate() + timedelta(days)
    )


def test_a_steward_reaches_the_dashboard_from_the_nav_and_a_volunteer_cannot(
    network_a: Any, steward_user: Any, volunteer_a: Any
) -> None:
    home = client_for(steward_user).get(reverse("dashboard"))
    assert reverse("audits:dashboard").encode() in home.content
    assert client_for(steward_user).get(reverse("audits:dashboard")).status_code == 200
    assert reverse("audits:dashboard").encode() not in client_for(volunteer_a).get("/").content
    assert client_for(volunteer_a).get(reverse("audits:dashboard")).status_code == 403


def test_dashboard_orders_by_next_deadline_in_constant_queries(
    network_a: Any, plant: Organization, steward_user: Any
) -> None:
    later = _open(network_a, Organization.objects.create(
        network=network_a, kind="employer", name="Zeta Later", state="NY"), 10)  # fmt: skip
    sooner = _open(network_a, plant, 2)
    client = client_for(steward_user)
    client.get(reverse("audits:dashboard"))
    with CaptureQueriesContext(connection) as few:
        page = client.get(reverse("audits:dashboard")).content.decode()
    assert page.index("Planta Sur") < page.index("Zeta Later")
    for n in range(3):
        _open(network_a, plant, 20 + n)
    with CaptureQueriesContext(connection) as more:
        client.get(reverse("audits:dashboard"))
    assert len(more) == len(few)
    assert later.pk and sooner.pk


def test_entering_a_notice_names_workers_and_shows_its_deadline(
    network_a: Any, plant: Organization, steward_user: Any
) -> None:
    audit = services.audit_open(network=network_a, workplace=plant, served_on=date(2026, 1, 16))
    suspect = NoticeKind.objects.get(network=network_a, slug="suspect")
    client = client_for(steward_user)
    response = client.post(
        reverse("audits:notice_add", kwargs={"pk": audit.pk}),
        {
            "kind": suspect.pk,
            "served_on": "2026-01-20",
            "date_on_notice": "2026-02-03",
            "workers": "Ana Uno\nBeto Dos\n\nCarla <script>alert(1)</script>",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Tue 3 Feb 2026" in page
    assert sorted(w.name for w in AffectedWorker.objects.filter(audit=audit)) == [
        "Ana Uno",
        "Beto Dos",
        "Carla <script>alert(1)</script>",
    ]
    assert "<script>alert(1)" not in page
    assert "Carla &lt;script&gt;" in page


def test_a_dated_notice_without_its_date_is_refused_and_nothing_is_lost(
    network_a: Any, plant: Organization, steward_user: Any
) -> None:
    audit = services.audit_open(network=network_a, workplace=plant, served_on=date(2026, 1, 16))
    suspect = NoticeKind.objects.get(network=network_a, slug="suspect")
    response = client_for(steward_user, language="es").post(
        reverse("audits:notice_add", kwargs={"pk": audit.pk}),
        {"kind": suspect.pk, "served_on": "2026-01-20", "workers": "Ana Uno"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Este aviso da su propio plazo" in page
    assert "Ana Uno" in page  # what was typed is still in the form
    assert audit.notices.count() == 1
    assert not AffectedWorker.objects.filter(audit=audit).exists()


def test_recording_a_step_as_sent(network_a: Any, plant: Organization, steward_user: Any) -> None:
    audit = services.audit_open(network=network_a, workplace=plant, served_on=date(2026, 1, 16))
    info = audit.actions.get(step__slug="info_request")
    client_for(steward_user).post(
        reverse("audits:action_sent", kwargs={"pk": info.pk}),
        {f"a{info.pk}-sent_on": "2026-01-17", f"a{info.pk}-what_sent": "Letter to HR by email"},
    )
    info.refresh_from_db()
    assert info.sent_on == date(2026, 1, 17)
    assert info.what_sent == "Letter to HR by email"


def test_a_worker_status_and_support(
    network_a: Any, plant: Organization, steward_user: Any
) -> None:
    audit = services.audit_open(network=network_a, workplace=plant, served_on=date(2026, 1, 16))
    worker = services.worker_add(audit=audit, name="Ana Uno")
    client_for(steward_user).post(
        reverse("audits:worker", kwargs={"pk": worker.pk}),
        {f"w{worker.pk}-status": "gathering", f"w{worker.pk}-support": ["time", "legal"]},
    )
    worker.refresh_from_db()
    assert worker.details["status"] == "gathering"
    assert worker.details["support"] == ["legal", "time"]


def test_no_match_letter_states_it_is_not_evidence_of_status(
    network_a: Any, plant: Organization, steward_user: Any
) -> None:
    steward = PersonFactory.create(network=network_a, name="Sara Delegada")
    OrganizationMember.objects.create(organization=plant, person=steward, role="steward")
    client = client_for(steward_user)
    form = client.get(reverse("audits:letter_new")).content.decode()
    assert "not evidence of immigration status" in form
    response = client.post(
        reverse("audits:letter_new"),
        {
            "employer": plant.pk,
            "worker_name": "Luis Tres",
            "received_on": "2026-02-01",
            "respond_by": "2026-05-01",
            "employer_steps": ["records", "writing"],
            "steward": steward.pk,
            "status": "open",
        },
        follow=True,
    )
    assert response.status_code == 200
    letter = NoMatchLetter.objects.get(network=network_a)
    assert letter.worker_name == "Luis Tres"
    assert letter.employer_steps == ["records", "writing"]
    assert "Planta Sur" in client.get(reverse("audits:dashboard")).content.decode()


def test_a_workplace_is_added_with_its_state_and_steward(
    network_a: Any, steward_user: Any, volunteer_a: Any
) -> None:
    steward = PersonFactory.create(network=network_a, name="Sara Delegada", user=steward_user)
    client = client_for(steward_user, language="es")
    form = client.get(reverse("audits:workplace_new")).content.decode()
    assert "Sara Delegada" in form  # a login with the steward role is offered
    bad = client.post(
        reverse("audits:workplace_new"),
        {"name": "Planta Este", "kind": "workplace", "state": "C1"},
    )
    assert "Dos letras" in bad.content.decode()
    assert not Organization.objects.filter(name="Planta Este").exists()
    client.post(
        reverse("audits:workplace_new"),
        {"name": "Planta Este", "kind": "workplace", "state": "ca", "steward": steward.pk},
    )
    plant = Organization.objects.get(network=network_a, name="Planta Este")
    assert (plant.kind, plant.state) == ("workplace", "CA")
    assert plant.members.get().person == steward
    assert client_for(volunteer_a).get(reverse("audits:workplace_new")).status_code == 403


def test_a_case_opened_for_an_affected_worker_links_both_ways_on_a_need_to_know_basis(
    network_a: Any, plant: Organization, steward_user: Any, coordinator_a: Any
) -> None:
    audit = _open(network_a, plant, 0)
    worker = services.worker_add(audit=audit, name="Rosa Díaz")
    audit_url = reverse("audits:audit", kwargs={"pk": audit.pk})
    coordinator = client_for(coordinator_a)
    open_url = reverse("audits:worker_case", kwargs={"pk": worker.pk})
    assert open_url in coordinator.get(audit_url).content.decode()
    response = coordinator.post(open_url)
    worker.refresh_from_db()
    case = worker.case
    assert case is not None and case.kind == "workplace"
    assert (case.given_names, case.family_names) == ("Rosa", "Díaz")
    assert response["Location"] == reverse("cases:case", kwargs={"pk": case.pk})
    assert list(case.i9_workers.all()) == [worker]
    case_page = coordinator.get(response["Location"]).content.decode()
    assert audit_url in case_page and "Named in the I-9 audit at Planta Sur" in case_page
    case_url = reverse("cases:case", kwargs={"pk": case.pk})
    assert case_url in coordinator.get(audit_url).content.decode()
    # the steward follows the audit but is not on the case: no link, no button, no case
    page = client_for(steward_user).get(audit_url).content.decode()
    assert case_url not in page and open_url not in page
    assert client_for(steward_user).post(open_url).status_code == 403
    assert coordinator.post(open_url).status_code == 302  # twice: refused, nothing new
    assert AffectedWorker.objects.get(pk=worker.pk).case_id == case.pk
