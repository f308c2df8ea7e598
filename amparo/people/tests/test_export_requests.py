"""The two-person rule for bulk exports of people: one person asks, a different one
approves (seeing the count and the filter, never a name), the asker downloads once
within a day; races are settled by conditional UPDATEs; everything is audited."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from amparo.accounts.models import AuditEvent
from amparo.conftest import client_for, make_user
from amparo.people.export_requests import (
    DOWNLOAD_VALID,
    REQUEST_VALID,
    ExportRequestError,
    export_request_claim,
    export_request_create,
    export_request_decide,
)
from amparo.people.filters import PeopleFilter
from amparo.people.models import ExportRequest, Segment

from .test_export import approve, approver_a, ask, csv_rows, download, people  # noqa: F401

EXPORT = reverse("people:export")


def export_events(network):
    return AuditEvent.objects.filter(network=network, action="export")


@pytest.mark.django_db
def test_the_requester_cannot_approve_their_own_request(
    network_a, coordinator_a, approver_a, people
):
    request = ask(coordinator_a, EXPORT, {"format": "csv"})
    assert request.status == "pending" and request.count == 6
    response = client_for(coordinator_a).post(
        reverse("people:export_decide", args=[request.pk]), {"action": "approve"}, follow=True
    )
    page = response.content.decode()
    assert "A different person must approve this export." in page
    request.refresh_from_db()
    assert request.status == "pending" and request.decided_by is None
    # Nor download it unapproved.
    response = download(coordinator_a, request)
    assert response.status_code == 302 and "Content-Disposition" not in response
    assert not export_events(network_a).exists()
    # The asker's own page offers no approval of their own request.
    assert f'action="/people/import/export/requests/{request.pk}/decide/"' not in page


@pytest.mark.django_db
def test_an_approved_export_downloads_once_and_only_by_the_requester(
    network_a, coordinator_a, approver_a, people
):
    request = ask(coordinator_a, EXPORT + "?roles=driver", {"format": "csv"})
    assert approve(approver_a, request).status_code == 302
    request.refresh_from_db()
    assert request.status == "approved" and request.decided_by == approver_a

    # The approver cannot take it.
    response = download(approver_a, request)
    assert response.status_code == 302 and "Content-Disposition" not in response
    assert b"Ana" not in response.content
    # The requester, once.
    response = download(coordinator_a, request)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert [r[0] for r in csv_rows(response.content)[1:]] == ["Ana López"]
    again = client_for(coordinator_a).post(
        reverse("people:export_download", args=[request.pk]), follow=True
    )
    assert again.redirect_chain and "Content-Disposition" not in again
    assert "This export was downloaded already." in again.content.decode()

    request.refresh_from_db()
    assert request.status == "downloaded" and request.rows == 1
    assert export_events(network_a).count() == 1
    notes = list(
        AuditEvent.objects.filter(target_type="people.exportrequest")
        .order_by("id")
        .values_list("actor_id", "note")
    )
    assert notes == [
        (coordinator_a.pk, "requested csv count=1"),
        (approver_a.pk, "approved csv count=1"),
        (coordinator_a.pk, "downloaded csv rows=1"),
    ]


@pytest.mark.django_db
def test_the_approver_sees_the_count_and_the_filter_never_a_name(
    network_a, coordinator_a, approver_a, people
):
    ask(coordinator_a, EXPORT + "?roles=driver&languages=es", {"format": "xlsx"})
    # The people page tells the approver something waits; not the asker.
    listing = client_for(approver_a).get(reverse("people:list")).content.decode()
    assert "1 export request is waiting for your approval." in listing
    own = client_for(coordinator_a).get(reverse("people:list")).content.decode()
    assert "waiting for your approval" not in own

    page = client_for(approver_a).get(reverse("people:export_requests")).content.decode()
    assert "1 person" in page and "Driver" in page and "Spanish" in page
    assert "Excel workbook" in page
    for name in people:
        assert name not in page
    assert "Ana" not in page and "0101" not in page


@pytest.mark.django_db
def test_the_approver_sees_who_asked(network_a, coordinator_a, approver_a, people):
    """ "Approve only if you know why this list is needed": the approver must know whom to ask."""
    ask(coordinator_a, EXPORT + "?roles=driver", {"format": "csv"})
    page = client_for(approver_a).get(reverse("people:export_requests")).content.decode()
    assert "asked by Alicia Álvarez on" in page


@pytest.mark.django_db
def test_a_refused_request_never_downloads(network_a, coordinator_a, approver_a, people):
    request = ask(coordinator_a, EXPORT, {"format": "csv"})
    response = client_for(approver_a).post(
        reverse("people:export_decide", args=[request.pk]), {"action": "refuse"}
    )
    assert response.status_code == 302
    assert approve(approver_a, request).status_code == 302  # too late to change one's mind
    request.refresh_from_db()
    assert request.status == "refused"
    response = download(coordinator_a, request)
    assert response.status_code == 302 and "Content-Disposition" not in response
    assert not export_events(network_a).exists()


@pytest.mark.django_db
def test_requests_and_approvals_expire(network_a, coordinator_a, approver_a, people):
    stale = ask(coordinator_a, EXPORT, {"format": "csv"})
    fresh = ask(coordinator_a, EXPORT, {"format": "csv"})
    assert approve(approver_a, fresh).status_code == 302
    fresh.refresh_from_db()
    assert fresh.status == "approved"
    later = timezone.now() + max(REQUEST_VALID, DOWNLOAD_VALID) + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        assert approve(approver_a, stale).status_code == 302
        stale.refresh_from_db()
        assert stale.status == "pending"  # expired: nobody can approve it any more
        response = download(coordinator_a, fresh)
        assert response.status_code == 302 and "Content-Disposition" not in response
        page = client_for(coordinator_a).get(reverse("people:export_requests")).content.decode()
        assert page.count('data-status="expired"') == 2
        assert (
            "waiting for your approval"
            not in client_for(approver_a).get(reverse("people:list")).content.decode()
        )
    assert not export_events(network_a).exists()


@pytest.mark.django_db
def test_a_name_never_becomes_part_of_an_export(network_a, coordinator_a, approver_a, people):
    page = client_for(coordinator_a).get(EXPORT + "?q=Ana&roles=driver").content.decode()
    assert "A name cannot be part of an export, so the name was left out." in page
    request = ask(coordinator_a, EXPORT + "?q=Luis", {"format": "csv", "q": "Ana"})
    assert "q" not in request.filters and request.count == 6
    # A segment carrying a name (edited by hand) loses it too.
    segment = Segment.objects.create(network=network_a, name="x", filters={"q": "Luis"})
    request = ask(coordinator_a, EXPORT + f"?segment={segment.pk}", {"format": "csv"})
    assert request.filters == {} and request.count == 6
    # The service itself refuses one.
    with pytest.raises(ExportRequestError):
        export_request_create(
            network=network_a,
            actor=coordinator_a,
            kind="csv",
            people_filter=PeopleFilter(q="Ana"),
        )


@pytest.mark.django_db
def test_another_network_gets_404(
    network_a, network_b, coordinator_a, approver_a, coordinator_b, people
):
    request = ask(coordinator_a, EXPORT, {"format": "csv"})
    outsider = client_for(coordinator_b)
    assert approve(coordinator_b, request).status_code == 404
    request.refresh_from_db()
    assert request.status == "pending"
    assert approve(approver_a, request).status_code == 302
    response = download(coordinator_b, request)
    assert response.status_code == 404 and b"Ana" not in response.content
    page = outsider.get(reverse("people:export_requests")).content.decode()
    assert f'data-request="{request.pk}"' not in page
    request.refresh_from_db()
    assert request.status == "approved"  # still the requester's to download


@pytest.mark.django_db
def test_a_member_without_the_capability_cannot_approve(
    network_a, coordinator_a, approver_a, people
):
    dispatcher = make_user(network_a, "dispatch@a.example", ["dispatcher"])
    request = ask(coordinator_a, EXPORT, {"format": "csv"})
    assert approve(dispatcher, request).status_code == 403
    with pytest.raises(ExportRequestError):
        export_request_decide(request=request, actor=dispatcher, approve=True)
    request.refresh_from_db()
    assert request.status == "pending"


def _race(target, n: int) -> tuple[int, list[str]]:
    """Run ``target`` in ``n`` threads at once; how many returned, and the refusals."""
    start = threading.Barrier(n)
    won: list[int] = []
    refused: list[str] = []

    def run(i: int) -> None:
        try:
            start.wait()
            target(i)
            won.append(i)
        except ExportRequestError as exc:
            refused.append(exc.message)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(won), refused


def test_two_approvals_or_two_downloads_at_once_one_wins(transactional_db, network_a):
    requester = make_user(network_a, "one@a.example", ["coordinator"])
    approvers = [make_user(network_a, f"ap{i}@a.example", ["coordinator"]) for i in range(3)]
    request = export_request_create(network=network_a, actor=requester, kind="csv")
    copies = [ExportRequest.objects.get(pk=request.pk) for _ in approvers]  # all saw "pending"

    won, refused = _race(
        lambda i: export_request_decide(request=copies[i], actor=approvers[i], approve=i != 1),
        len(approvers),
    )
    assert won == 1 and len(refused) == 2
    assert set(refused) == {"Someone has already decided on this request."}
    request.refresh_from_db()
    if request.status != "approved":  # the refusal won the race: ask and approve again
        request = export_request_create(network=network_a, actor=requester, kind="csv")
        export_request_decide(request=request, actor=approvers[0], approve=True)
    copies = [ExportRequest.objects.get(pk=request.pk) for _ in range(4)]
    won, refused = _race(lambda i: export_request_claim(request=copies[i], actor=requester), 4)
    assert won == 1 and len(refused) == 3
    request.refresh_from_db()
    assert request.status == "downloaded"
    decided = AuditEvent.objects.filter(
        target_type="people.exportrequest", target_id=str(request.pk), note__startswith="app"
    )
    assert decided.count() == 1
