"""Need-to-know on hotline intakes: a responder sees the intakes they took and those
assigned to them; Cap.HOTLINE_ALL_INTAKES (coordinators) sees and assigns every one."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from amparo.accounts.models import Assignment, AuditEvent, User
from amparo.conftest import client_for, make_user
from amparo.hotline.models import Intake

UNTIL_FORMAT = "%Y-%m-%dT%H:%M"


@pytest.fixture
def rosa(network_a) -> User:
    return make_user(network_a, "rosa@a.example", ["hotline"], name="Rosa Ruiz")


@pytest.fixture
def yolanda(network_a) -> User:
    return make_user(network_a, "yolanda@a.example", ["hotline"], name="Yolanda Yáñez")


@pytest.fixture
def yolandas_intake(yolanda) -> Intake:
    client = client_for(yolanda)
    response = client.post(
        reverse("hotline:intake_start"), {"situation": "detained", "language": "es"}
    )
    assert response.status_code == 302
    intake = Intake.objects.get(responder=yolanda)
    response = client.post(
        reverse("hotline:intake", kwargs={"pk": intake.pk}),
        {
            "detainee_name": "Juana Pérez López",
            "a_number": "12345678",
            "country_of_birth": "Guatemala",
            "callback_number": "(413) 555-0177",
            "outcome": "callback",
            "callback_due": timezone.localtime(timezone.now() + timedelta(hours=2)).strftime(
                UNTIL_FORMAT
            ),
        },
    )
    assert response.status_code == 302
    intake.refresh_from_db()
    assert intake.finished_at is not None
    return intake


def pages(intake: Intake) -> list[str]:
    return [
        reverse("hotline:intake", kwargs={"pk": intake.pk}),
        reverse("hotline:intake_outcome", kwargs={"pk": intake.pk}),
    ]


def can_open(client, intake: Intake) -> bool:
    statuses = set()
    for url in pages(intake):
        response = client.get(url, follow=True)
        statuses.add(response.status_code)
        if response.status_code == 200:
            assert "012345678" in response.content.decode()  # the A-number is on the page
        else:
            assert b"012345678" not in response.content
    assert len(statuses) == 1, statuses
    return statuses == {200}


def listed(client, intake: Intake) -> bool:
    page = client.get(reverse("hotline:intakes")).content.decode()
    return f"/hotline/intake/{intake.pk}/" in page


def assign_url(intake: Intake) -> str:
    return reverse("hotline:intake_assign", kwargs={"pk": intake.pk})


@pytest.mark.django_db
def test_a_responder_cannot_open_nor_list_another_responders_intake(
    network_a, rosa, yolanda, yolandas_intake
):
    rosas = client_for(rosa)
    assert not can_open(rosas, yolandas_intake)
    assert not listed(rosas, yolandas_intake)
    # Nor finish (write) it by posting to its page.
    response = rosas.post(
        reverse("hotline:intake", kwargs={"pk": yolandas_intake.pk}), {"outcome": "none"}
    )
    assert response.status_code == 404
    yolandas_intake.refresh_from_db()
    assert yolandas_intake.answers["a_number"] == "012345678"
    # The responder who took it still sees it.
    yolandas = client_for(yolanda)
    assert can_open(yolandas, yolandas_intake) and listed(yolandas, yolandas_intake)


@pytest.mark.django_db
def test_an_assignment_opens_the_intake_until_it_expires(
    network_a, coordinator_a, rosa, yolandas_intake
):
    rosas = client_for(rosa)
    until = timezone.localtime(timezone.now() + timedelta(hours=2))
    response = client_for(coordinator_a).post(
        assign_url(yolandas_intake),
        {
            "assign-user": rosa.pk,
            "assign-until": until.strftime(UNTIL_FORMAT),
            "assign-reason": "covers the callback tonight",
        },
    )
    assert response.status_code == 302
    assert can_open(rosas, yolandas_intake) and listed(rosas, yolandas_intake)
    assignment = Assignment.objects.get(user=rosa)
    assert assignment.kind == "hotline.intake" and assignment.object_id == yolandas_intake.pk
    assert assignment.granted_by == coordinator_a and assignment.reason.startswith("covers")

    with time_machine.travel(until + timedelta(minutes=5), tick=False):
        assert not can_open(rosas, yolandas_intake)
        assert not listed(rosas, yolandas_intake)


@pytest.mark.django_db
def test_taking_an_assignment_back_closes_the_intake_again_and_both_are_audited(
    network_a, coordinator_a, rosa, yolandas_intake
):
    coordinator = client_for(coordinator_a)
    rosas = client_for(rosa)
    coordinator.post(assign_url(yolandas_intake), {"assign-user": rosa.pk})
    assert can_open(rosas, yolandas_intake)
    # The coordinator's intake page lists who holds it.
    page = coordinator.get(
        reverse("hotline:intake_outcome", kwargs={"pk": yolandas_intake.pk})
    ).content.decode()
    assert "Rosa Ruiz" in page and 'name="revoke"' in page

    response = coordinator.post(assign_url(yolandas_intake), {"revoke": rosa.pk})
    assert response.status_code == 302
    assert not can_open(rosas, yolandas_intake)
    assert not listed(rosas, yolandas_intake)
    assert Assignment.objects.get(user=rosa).revoked_by == coordinator_a

    events = AuditEvent.objects.filter(target_type="accounts.assignment").order_by("id")
    notes = [e.note for e in events]
    assert notes == [
        f"grant hotline.intake:{yolandas_intake.pk} user={rosa.pk}",
        f"revoke hotline.intake:{yolandas_intake.pk} user={rosa.pk}",
    ]
    assert all(e.actor == coordinator_a for e in events)
    for event in events:
        assert "Rosa" not in event.note and "Juana" not in event.note


@pytest.mark.django_db
def test_a_coordinator_sees_every_intake(network_a, coordinator_a, yolandas_intake):
    coordinator = client_for(coordinator_a)
    assert can_open(coordinator, yolandas_intake) and listed(coordinator, yolandas_intake)
    assert not Assignment.objects.exists()


@pytest.mark.django_db
def test_only_a_coordinator_assigns(network_a, rosa, yolanda, yolandas_intake):
    # The responder who took it cannot hand it on, and nobody can hand it to themselves.
    for user in (yolanda, rosa):
        response = client_for(user).post(assign_url(yolandas_intake), {"assign-user": rosa.pk})
        assert response.status_code == 403
    assert not Assignment.objects.exists()
    assert not can_open(client_for(rosa), yolandas_intake)


@pytest.mark.django_db
def test_only_responders_of_the_network_can_be_assigned(
    network_a, network_b, coordinator_a, coordinator_b, volunteer_a, yolandas_intake
):
    coordinator = client_for(coordinator_a)
    for outsider in (coordinator_b, volunteer_a):  # another network's; no hotline role
        response = coordinator.post(
            assign_url(yolandas_intake), {"assign-user": outsider.pk}, follow=True
        )
        assert "Choose a responder from the list." in response.content.decode()
    assert not Assignment.objects.exists()
    # A time already past is refused, clearly.
    rosa = make_user(network_a, "rosa@a.example", ["hotline"], name="Rosa Ruiz")
    past = timezone.localtime(timezone.now() - timedelta(hours=1)).strftime(UNTIL_FORMAT)
    response = coordinator.post(
        assign_url(yolandas_intake), {"assign-user": rosa.pk, "assign-until": past}, follow=True
    )
    assert "Choose a time in the future." in response.content.decode()
    assert not Assignment.objects.exists()


@pytest.mark.django_db
def test_another_network_gets_404_everywhere(network_a, coordinator_b, network_b, yolandas_intake):
    outsider = client_for(coordinator_b)
    for url in pages(yolandas_intake):
        assert outsider.get(url).status_code == 404
    assert outsider.post(assign_url(yolandas_intake), {"assign-user": 1}).status_code == 404
    assert not listed(outsider, yolandas_intake)
    assert not Assignment.objects.exists()
