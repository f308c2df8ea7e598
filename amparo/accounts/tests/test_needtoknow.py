"""The need-to-know services (amparo/accounts/needtoknow.py), on their own: grants that
expire or are revoked, one open grant per person and record, members only, scoping."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.test import RequestFactory
from django.utils import timezone

from amparo.accounts.access import getter, visible
from amparo.accounts.models import Assignment, AuditEvent, Membership
from amparo.accounts.needtoknow import assign, is_assigned, open_assignments, unassign
from amparo.accounts.roles import Cap
from amparo.conftest import make_user
from amparo.hotline.models import Intake


def request_as(user, network):
    request = RequestFactory().get("/")
    request.user = user
    membership = (
        Membership.objects.filter(user=user, network=network, is_active=True)
        .prefetch_related("roles")
        .first()
    )
    request.network = network if membership else None  # type: ignore[attr-defined]
    request.membership = membership  # type: ignore[attr-defined]
    return request


@pytest.fixture
def intakes(network_a, network_b):
    a1 = Intake.objects.create(network=network_a, situation="detained")
    a2 = Intake.objects.create(network=network_a, situation="question")
    b1 = Intake.objects.create(network=network_b, situation="detained")
    return a1, a2, b1


@pytest.mark.django_db
def test_grant_expire_revoke(network_a, coordinator_a, intakes):
    a1, a2, _b1 = intakes
    rosa = make_user(network_a, "rosa@a.example", ["hotline"])
    until = timezone.now() + timedelta(hours=1)
    assign(obj=a1, user=rosa, granted_by=coordinator_a, expires_at=until, reason="tonight")
    assert is_assigned(rosa, a1) and not is_assigned(rosa, a2)
    with time_machine.travel(until + timedelta(seconds=1), tick=False):
        assert not is_assigned(rosa, a1)
    # Renewing replaces the open grant: still one open row, the old one ended.
    assign(obj=a1, user=rosa, granted_by=coordinator_a)
    assert Assignment.objects.filter(user=rosa, revoked_at__isnull=True).count() == 1
    assert Assignment.objects.filter(user=rosa).count() == 2
    assert list(open_assignments(a1).values_list("user_id", flat=True)) == [rosa.pk]
    assert unassign(obj=a1, user=rosa, by=coordinator_a) == 1
    assert not is_assigned(rosa, a1)
    assert unassign(obj=a1, user=rosa, by=coordinator_a) == 0
    notes = list(
        AuditEvent.objects.filter(target_type="accounts.assignment")
        .order_by("id")
        .values_list("note", "fields")
    )
    assert [n for n, _f in notes] == [
        f"grant hotline.intake:{a1.pk} user={rosa.pk}",
        f"grant hotline.intake:{a1.pk} user={rosa.pk} renews=1",
        f"revoke hotline.intake:{a1.pk} user={rosa.pk}",
    ]
    assert "reason" in notes[0][1] and "tonight" not in str(notes)  # the field, never its value


@pytest.mark.django_db
def test_the_database_holds_one_open_grant_per_person_and_record(network_a, coordinator_a, intakes):
    a1 = intakes[0]
    rosa = make_user(network_a, "rosa@a.example", ["hotline"])
    assign(obj=a1, user=rosa, granted_by=coordinator_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(
            network=network_a, user=rosa, kind="hotline.intake", object_id=a1.pk
        )


@pytest.mark.django_db
def test_only_active_members_of_the_records_network(
    network_a, coordinator_a, coordinator_b, intakes
):
    a1 = intakes[0]
    with pytest.raises(ValidationError):
        assign(obj=a1, user=coordinator_b, granted_by=coordinator_a)
    rosa = make_user(network_a, "rosa@a.example", ["hotline"])
    Membership.objects.filter(user=rosa).update(is_active=False)
    with pytest.raises(ValidationError):
        assign(obj=a1, user=rosa, granted_by=coordinator_a)
    with pytest.raises(ValidationError):
        assign(
            obj=a1,
            user=coordinator_a,
            granted_by=coordinator_a,
            expires_at=timezone.now() - timedelta(minutes=1),
        )
    assert not Assignment.objects.exists()


@pytest.mark.django_db
def test_visible_and_a_getter_with_need_to_know(
    network_a, network_b, coordinator_a, coordinator_b, intakes
):
    a1, a2, b1 = intakes
    rosa = make_user(network_a, "rosa@a.example", ["hotline"])
    Intake.objects.filter(pk=a2.pk).update(responder=rosa)
    qs = Intake.objects.all()
    cap = Cap.HOTLINE_ALL_INTAKES

    get = getter(qs, capability=None, all_cap=cap)
    as_rosa = request_as(rosa, network_a)
    assert set(visible(as_rosa, qs, all_cap=cap)) == set()
    assert set(visible(as_rosa, qs, all_cap=cap, own="responder")) == {a2}
    assign(obj=a1, user=rosa, granted_by=coordinator_a)
    assert set(visible(as_rosa, qs, all_cap=cap, own="responder")) == {a1, a2}
    assert get(as_rosa, a1.pk) == a1
    for pk in (b1.pk, a2.pk, "x", 10**9):  # another network's; not assigned; junk; missing
        with pytest.raises(Http404):
            get(as_rosa, pk)

    # A grant on another network's record gives nothing in this one (and the other
    # network's coordinator, holding the capability, still sees only their own).
    assert set(visible(request_as(coordinator_a, network_a), qs, all_cap=cap)) == {a1, a2}
    assert set(visible(request_as(coordinator_b, network_b), qs, all_cap=cap)) == {b1}


@pytest.mark.django_db
def test_the_migration_gives_coordinators_of_an_existing_install_every_intake():
    from importlib import import_module

    from django.apps import apps

    from amparo.accounts.models import Role

    Role.objects.filter(slug="coordinator").update(capabilities=[Cap.HOTLINE])  # an old install
    import_module("amparo.accounts.migrations.0008_need_to_know").grant(apps, None)
    caps = Role.objects.get(slug="coordinator").capabilities
    assert Cap.HOTLINE_ALL_INTAKES in caps and Cap.HOTLINE in caps
    assert Cap.HOTLINE_ALL_INTAKES not in Role.objects.get(slug="hotline").capabilities
