"""Committees: the seeded list, members and chairs, and the task board (who may run it,
what it refuses, and that network B sees none of it)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from amparo.accounts.models import AuditEvent
from amparo.conftest import client_for, make_user
from amparo.people import committees as svc
from amparo.people.models import Committee, CommitteeMember, Person, Task
from amparo.tests.factories import PersonFactory


@pytest.fixture
def solidarity(network_a):
    return Committee.objects.get(network=network_a, slug="solidarity")


@pytest.fixture
def crew(network_a, solidarity, volunteer_a):
    """Marisol chairs Solidarity; Roberto (volunteer_a's person) is a member; Tomás is not."""
    marisol = PersonFactory.create(network=network_a, name="Marisol Quintero", phone="+14135550301")
    roberto = PersonFactory.create(
        network=network_a, name="Roberto Bravo", phone="+14135550302", user=volunteer_a
    )
    tomas = PersonFactory.create(network=network_a, name="Tomás Ibáñez", phone="+14135550303")
    svc.committee_member_add(committee=solidarity, person=marisol, is_chair=True)
    svc.committee_member_add(committee=solidarity, person=roberto)
    return {"marisol": marisol, "roberto": roberto, "tomas": tomas}


def _board(client, committee):
    return client.get(reverse("people:committee", kwargs={"pk": committee.pk}))


# --- list and membership ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_worker_committee_and_seven_subcommittees_are_listed(network_a, coordinator_a):
    response = client_for(coordinator_a).get(reverse("people:committees"))
    assert response.status_code == 200
    committees = list(Committee.objects.filter(network=network_a))
    assert [c.kind for c in committees].count("worker") == 1
    assert [c.kind for c in committees].count("sub") == 7
    page = response.content.decode()
    for committee in committees:
        assert committee.label in page


@pytest.mark.django_db
def test_coordinator_adds_members_and_chairs_and_removes_them(network_a, coordinator_a, solidarity):
    person = PersonFactory.create(network=network_a, name="Guadalupe Santos", phone="+14135550311")
    client = client_for(coordinator_a)
    url = reverse("people:committee", kwargs={"pk": solidarity.pk})
    found = client.post(url, {"q": "guada"}).content.decode()
    assert "Guadalupe Santos" in found
    add = reverse("people:committee_member_add", kwargs={"pk": solidarity.pk})
    assert client.post(add, {"person": person.pk}).status_code == 302
    member = CommitteeMember.objects.get(committee=solidarity, person=person)
    assert not member.is_chair
    chair = reverse(
        "people:committee_member_chair", kwargs={"pk": solidarity.pk, "person_pk": person.pk}
    )
    client.post(chair, {"chair": "on"})
    member.refresh_from_db()
    assert member.is_chair
    client.post(chair, {})
    member.refresh_from_db()
    assert not member.is_chair
    page = client.get(url).content.decode()
    assert "Guadalupe Santos" in page
    remove = reverse(
        "people:committee_member_remove", kwargs={"pk": solidarity.pk, "person_pk": person.pk}
    )
    assert client.post(remove).status_code == 302
    assert not CommitteeMember.objects.filter(committee=solidarity, person=person).exists()
    events = AuditEvent.objects.filter(network=network_a, target_type="people.committeemember")
    assert sorted(events.values_list("action", flat=True)) == [
        "create",
        "delete",
        "update",
        "update",
    ]
    assert not any("Guadalupe" in e.note for e in events)


@pytest.mark.django_db
def test_removing_a_member_unassigns_their_open_tasks(network_a, solidarity, crew):
    open_task = svc.task_create(committee=solidarity, title="Rides", assignee=crew["roberto"])
    done_task = svc.task_create(
        committee=solidarity, title="Coats", assignee=crew["roberto"], status="done"
    )
    svc.committee_member_remove(committee=solidarity, person=crew["roberto"])
    open_task.refresh_from_db()
    done_task.refresh_from_db()
    assert open_task.assignee is None
    assert done_task.assignee_id == crew["roberto"].pk  # history stays


@pytest.mark.django_db
def test_changing_membership_needs_members_manage(network_a, volunteer_a, solidarity, crew):
    client = client_for(volunteer_a)  # committee role: no members.manage
    add = reverse("people:committee_member_add", kwargs={"pk": solidarity.pk})
    assert client.post(add, {"person": crew["tomas"].pk}).status_code == 403
    remove = reverse(
        "people:committee_member_remove",
        kwargs={"pk": solidarity.pk, "person_pk": crew["marisol"].pk},
    )
    assert client.post(remove).status_code == 403
    chair = reverse(
        "people:committee_member_chair",
        kwargs={"pk": solidarity.pk, "person_pk": crew["roberto"].pk},
    )
    assert client.post(chair, {"chair": "on"}).status_code == 403
    assert CommitteeMember.objects.filter(committee=solidarity).count() == 2
    assert not CommitteeMember.objects.get(person=crew["roberto"]).is_chair
    # the member still sees the board, but no membership buttons
    page = _board(client, solidarity).content.decode()
    assert "Remove from committee" not in page and "Add someone" not in page


@pytest.mark.django_db
def test_person_of_another_network_cannot_join(network_a, network_b, coordinator_a, solidarity):
    stranger = PersonFactory.create(network=network_b, name="Extraña Bee", phone="+14135550399")
    client = client_for(coordinator_a)
    add = reverse("people:committee_member_add", kwargs={"pk": solidarity.pk})
    assert client.post(add, {"person": stranger.pk}).status_code == 404
    with pytest.raises(ValidationError):
        svc.committee_member_add(committee=solidarity, person=stranger)
    assert not CommitteeMember.objects.filter(person=stranger).exists()


# --- who runs the board -----------------------------------------------------------------


@pytest.mark.django_db
def test_a_member_with_the_committee_capability_runs_the_board(
    network_a, volunteer_a, solidarity, crew
):
    client = client_for(volunteer_a)
    response = client.post(
        reverse("people:task_create", kwargs={"pk": solidarity.pk}),
        {"title": "Rides to the hearing", "assignee": crew["marisol"].pk, "due_date": "2030-05-02"},
    )
    assert response.status_code == 302
    task = Task.objects.get(committee=solidarity)
    assert task.title == "Rides to the hearing"
    assert task.assignee == crew["marisol"] and task.due_date == date(2030, 5, 2)
    assert task.status == "todo"
    page = _board(client, solidarity).content.decode()
    assert "Rides to the hearing" in page and "Marisol Quintero" in page
    # another committee's board is closed to them
    media = Committee.objects.get(network=network_a, slug="media")
    assert _board(client, media).status_code == 403
    response = client.post(
        reverse("people:task_create", kwargs={"pk": media.pk}), {"title": "Press release"}
    )
    assert response.status_code == 403
    assert not Task.objects.filter(committee=media).exists()


@pytest.mark.django_db
def test_a_chair_runs_the_board_without_the_capability(network_a, solidarity, crew):
    fund = make_user(network_a, "fausto@a.example", ["fund"])  # no committee.work
    Person.objects.filter(pk=crew["marisol"].pk).update(user=fund)
    client = client_for(fund)
    assert _board(client, solidarity).status_code == 200
    response = client.post(
        reverse("people:task_create", kwargs={"pk": solidarity.pk}), {"title": "Meals"}
    )
    assert response.status_code == 302
    assert Task.objects.filter(committee=solidarity).count() == 1


@pytest.mark.django_db
def test_a_plain_member_without_the_capability_cannot_run_the_board(network_a, solidarity, crew):
    fund = make_user(network_a, "fausto@a.example", ["fund"])
    Person.objects.filter(pk=crew["roberto"].pk).update(user=fund)  # member, not chair
    task = svc.task_create(committee=solidarity, title="Secret plan for Tuesday")
    client = client_for(fund)
    response = _board(client, solidarity)
    assert response.status_code == 403
    assert "Secret plan" not in response.content.decode()
    move = reverse("people:task_move", kwargs={"pk": task.pk})
    assert client.post(move, {"status": "done"}).status_code == 403
    edit = reverse("people:task_edit", kwargs={"pk": task.pk})
    assert client.get(edit).status_code == 403
    task.refresh_from_db()
    assert task.status == "todo"


@pytest.mark.django_db
def test_a_dispatcher_sees_members_but_not_the_tasks(network_a, solidarity, crew):
    dispatcher = make_user(network_a, "dario@a.example", ["dispatcher"])  # members.view
    svc.task_create(committee=solidarity, title="Secret plan for Tuesday")
    page = _board(client_for(dispatcher), solidarity).content.decode()
    assert "Marisol Quintero" in page
    assert "Secret plan" not in page


@pytest.mark.django_db
def test_without_any_committee_capability_the_list_is_403(network_a):
    verifier = make_user(network_a, "vera@a.example", ["verifier"])
    assert client_for(verifier).get(reverse("people:committees")).status_code == 403


# --- tasks --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_task_moves_between_columns_and_is_audited(network_a, coordinator_a, solidarity, crew):
    task = svc.task_create(committee=solidarity, title="Collect winter coats")
    client = client_for(coordinator_a)
    move = reverse("people:task_move", kwargs={"pk": task.pk})
    response = client.post(move, {"status": "doing"})
    assert response.status_code == 302 and f"#task-{task.pk}" in response["Location"]
    task.refresh_from_db()
    assert task.status == "doing"
    client.post(move, {"status": "done"})
    task.refresh_from_db()
    assert task.status == "done"
    # a bad status changes nothing
    client.post(move, {"status": "archived"})
    task.refresh_from_db()
    assert task.status == "done"
    notes = list(
        AuditEvent.objects.filter(target_type="people.task", action="update").values_list(
            "note", flat=True
        )
    )
    assert sorted(notes) == ["doing->done", "todo->doing"]


@pytest.mark.django_db
def test_task_edit(network_a, coordinator_a, solidarity, crew):
    task = svc.task_create(committee=solidarity, title="Find a driver")
    client = client_for(coordinator_a)
    edit = reverse("people:task_edit", kwargs={"pk": task.pk})
    page = client.get(edit).content.decode()
    assert "Find a driver" in page and "Roberto Bravo" in page  # members to choose from
    assert "Tomás Ibáñez" not in page  # not on the committee
    response = client.post(
        edit,
        {
            "title": "Find a driver for the vigil",
            "assignee": crew["roberto"].pk,
            "due_date": "2030-01-15",
            "status": "doing",
        },
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.title == "Find a driver for the vigil"
    assert task.assignee == crew["roberto"] and task.status == "doing"
    event = AuditEvent.objects.filter(target_type="people.task", action="update").get()
    assert sorted(event.fields) == ["assignee", "due_date", "status", "title"]


@pytest.mark.django_db
def test_a_task_for_a_non_member_is_refused_with_a_clear_error(
    network_a, coordinator_a, solidarity, crew
):
    client = client_for(coordinator_a)
    response = client.post(
        reverse("people:task_create", kwargs={"pk": solidarity.pk}),
        {"title": "Childcare during the assembly", "assignee": crew["tomas"].pk},
    )
    assert response.status_code == 400
    assert "Only a member of this committee can be assigned its tasks." in response.content.decode()
    assert not Task.objects.exists()
    with pytest.raises(ValidationError) as error:
        svc.task_create(committee=solidarity, title="X", assignee=crew["tomas"])
    assert error.value.code == "not_member"
    task = svc.task_create(committee=solidarity, title="Y", assignee=crew["roberto"])
    with pytest.raises(ValidationError):
        svc.task_update(task=task, title="Y", assignee=crew["tomas"], due_date=None, status="todo")
    task.refresh_from_db()
    assert task.assignee == crew["roberto"]


@pytest.mark.django_db
def test_an_empty_task_is_refused(network_a, coordinator_a, solidarity):
    response = client_for(coordinator_a).post(
        reverse("people:task_create", kwargs={"pk": solidarity.pk}),
        {"title": "   ", "due_date": "someday"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Write what needs doing." in page
    assert "Write a date, for example 2026-03-31." in page
    assert not Task.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_task_titles_are_sealed_in_the_database(network_a, solidarity):
    svc.task_create(committee=solidarity, title="Ride for Zyxwvu-canary to court")
    with connection.cursor() as cursor:
        cursor.execute("SELECT title FROM people_task")
        stored = [row[0] for row in cursor.fetchall()]
    assert stored and all("Zyxwvu" not in str(value) for value in stored)
    assert Task.objects.get().title == "Ride for Zyxwvu-canary to court"


# --- other networks -------------------------------------------------------------------------


@pytest.mark.django_db
def test_network_b_gets_404_on_a_committees_and_tasks(network_a, coordinator_b, solidarity, crew):
    task = svc.task_create(committee=solidarity, title="Meals for the family")
    client = client_for(coordinator_b)
    urls = [
        ("get", reverse("people:committee", kwargs={"pk": solidarity.pk})),
        ("get", reverse("people:task_create", kwargs={"pk": solidarity.pk})),
        ("post", reverse("people:task_create", kwargs={"pk": solidarity.pk})),
        ("post", reverse("people:committee_member_add", kwargs={"pk": solidarity.pk})),
        (
            "post",
            reverse(
                "people:committee_member_remove",
                kwargs={"pk": solidarity.pk, "person_pk": crew["roberto"].pk},
            ),
        ),
        (
            "post",
            reverse(
                "people:committee_member_chair",
                kwargs={"pk": solidarity.pk, "person_pk": crew["roberto"].pk},
            ),
        ),
        ("get", reverse("people:task_edit", kwargs={"pk": task.pk})),
        ("post", reverse("people:task_edit", kwargs={"pk": task.pk})),
        ("post", reverse("people:task_move", kwargs={"pk": task.pk})),
    ]
    data = {"title": "B was here", "status": "done", "person": crew["tomas"].pk, "chair": "on"}
    for method, url in urls:
        response = getattr(client, method)(url, data if method == "post" else None)
        assert response.status_code == 404, url
        page = response.content.decode()
        assert "Meals for the family" not in page and "Marisol" not in page
    task.refresh_from_db()
    assert task.status == "todo" and task.title == "Meals for the family"
    assert CommitteeMember.objects.filter(committee=solidarity).count() == 2
    # B's own list shows B's committees, none of A's members
    page = client.get(reverse("people:committees")).content.decode()
    assert "Marisol" not in page


@pytest.mark.django_db
def test_b_cannot_add_its_own_person_to_a_committee_of_a(
    network_a, network_b, coordinator_b, solidarity
):
    b_person = PersonFactory.create(network=network_b, name="Bea Bee", phone="+14135550398")
    b_committee = Committee.objects.get(network=network_b, slug="solidarity")
    client = client_for(coordinator_b)
    add = reverse("people:committee_member_add", kwargs={"pk": solidarity.pk})
    assert client.post(add, {"person": b_person.pk}).status_code == 404
    add_b = reverse("people:committee_member_add", kwargs={"pk": b_committee.pk})
    assert client.post(add_b, {"person": b_person.pk}).status_code == 302
    assert list(CommitteeMember.objects.values_list("committee_id", flat=True)) == [b_committee.pk]
