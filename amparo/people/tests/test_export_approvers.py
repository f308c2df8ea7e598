"""An export nobody else could approve is refused when asked (naming the roles that
can approve, with the Logins page for those who add logins); the page says beforehand
who approves; the approver reads why the list is needed, which is sealed."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from amparo.conftest import client_for, make_user
from amparo.people.models import ExportRequest

from .test_export import approver_a, ask, people  # noqa: F401

EXPORT = reverse("people:export")
PHONETREE = reverse("people:phonetree")
LOGINS = reverse("logins:list")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url,data", [(EXPORT, {"format": "csv"}), (PHONETREE, {"per_caller": 3, "output": "pdf"})]
)
def test_a_request_nobody_else_can_approve_is_refused(network_a, coordinator_a, url, data):
    make_user(network_a, "gone@a.example", ["coordinator"]).memberships.update(is_active=False)
    make_user(network_a, "dispatch@a.example", ["dispatcher"])  # cannot export
    client = client_for(coordinator_a)
    page = client.get(url).content.decode()
    assert 'data-approval="none"' in page and f'href="{LOGINS}"' in page
    assert "Coordinator" in page
    response = client.post(url, {"reason": "Llamadas", **data})
    assert response.status_code == 400
    text = response.content.decode()
    assert "Nobody else can approve this export yet" in text and "Coordinator" in text
    assert not ExportRequest.objects.exists()


@pytest.mark.django_db
def test_the_page_says_who_approves_and_the_approver_reads_why(
    network_a, coordinator_a, approver_a, people
):
    page = client_for(coordinator_a).get(EXPORT).content.decode()
    assert 'data-approval="ok"' in page and "Coordinator (1 person can)" in page
    missing = client_for(coordinator_a).post(EXPORT, {"format": "csv"})
    assert missing.status_code == 400 and "Say why this list is needed." in missing.content.decode()
    request = ask(coordinator_a, EXPORT, {"format": "csv", "reason": "Llamar a Marta Ruiz"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM people_exportrequest WHERE id = %s", [request.pk])
        assert "Marta" not in str(cursor.fetchone()[0])
    waiting = client_for(approver_a).get(reverse("people:export_requests")).content.decode()
    assert "Llamar a Marta Ruiz" in waiting


@pytest.mark.django_db
def test_someone_who_cannot_add_logins_is_told_to_ask_a_coordinator(network_a, coordinator_a):
    from amparo.accounts.models import Role

    Role.objects.create(slug="exporter", name={"en": "Exporter"}, capabilities=["members.export"])
    lone = make_user(network_a, "exporter@a.example", ["exporter"])
    coordinator_a.memberships.update(is_active=False)
    page = client_for(lone).get(EXPORT).content.decode()
    assert 'data-approval="none"' in page and LOGINS not in page
    assert "Ask a coordinator to add one." in page and "Exporter" in page
