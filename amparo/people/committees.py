"""Committees: membership, chairs and each committee's task board.

Writes go through the ``noun_verb`` functions here; each one is audited with field
names and codes only (never a name or a task's text). Bad input raises
``ValidationError`` with a message in the active language, and changes nothing.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User
from amparo.accounts.roles import Cap

from .counts import people_changed
from .identity import persons_of_user
from .models import Committee, CommitteeMember, Person, Task

#: Done tasks shown on a board (newest first); older ones stay sealed.
DONE_SHOWN = 20


# --- reading ------------------------------------------------------------------------


def committees_with_counts(*, network: Network) -> QuerySet[Committee]:
    return Committee.objects.filter(network=network).annotate(
        member_count=Count("members", distinct=True),
        open_tasks=Count("tasks", filter=~Q(tasks__status=Task.Status.DONE), distinct=True),
    )


def committee_ids_of_user(*, network: Network, user: User) -> dict[int, bool]:
    """{committee id: is chair} for the committees this login's person belongs to."""
    rows = CommitteeMember.objects.filter(
        committee__network=network, person__in=persons_of_user(network=network, user=user)
    ).values_list("committee_id", "is_chair")
    result: dict[int, bool] = {}
    for committee_id, is_chair in rows:
        result[committee_id] = result.get(committee_id, False) or is_chair
    return result


def committee_can_run_board(
    *, committee: Committee, user: User, capabilities: frozenset[str]
) -> bool:
    """Coordinators run every board; a chair runs their committee's board; so does a
    member who holds the committee capability."""
    if Cap.NETWORK_MANAGE in capabilities:
        return True
    mine = committee_ids_of_user(network=committee.network, user=user)
    if committee.pk not in mine:
        return False
    return mine[committee.pk] or Cap.COMMITTEE in capabilities


def committee_members(*, committee: Committee) -> list[CommitteeMember]:
    """Chairs first, then by when they joined. Names open when the template reads them."""
    return list(committee.members.select_related("person").order_by("-is_chair", "joined_at", "id"))


def committee_board(*, committee: Committee) -> dict[str, list[Task]]:
    """The committee's tasks by status: every open task, the newest done ones."""
    base = committee.tasks.select_related("assignee")
    return {
        Task.Status.TODO: list(base.filter(status=Task.Status.TODO)),
        Task.Status.DOING: list(base.filter(status=Task.Status.DOING)),
        Task.Status.DONE: list(base.filter(status=Task.Status.DONE).order_by("-id")[:DONE_SHOWN]),
    }


# --- membership ---------------------------------------------------------------------


def _check_same_network(committee: Committee, person: Person) -> None:
    if person.network_id != committee.network_id:
        raise ValidationError(_("This person is not in this network."), code="other_network")


@transaction.atomic
def committee_member_add(
    *, committee: Committee, person: Person, is_chair: bool = False, actor: User | None = None
) -> tuple[CommitteeMember, bool]:
    """Add ``person`` to the committee (or change their chair flag). Returns (member, created)."""
    _check_same_network(committee, person)
    if person.status == Person.Status.REMOVED:
        raise ValidationError(_("This person was removed from the network."), code="removed")
    member, created = CommitteeMember.objects.get_or_create(
        committee=committee, person=person, defaults={"is_chair": is_chair}
    )
    if created:
        people_changed(network_id=committee.network_id, person_ids=[person.pk])
        audit_record(
            action=AuditEvent.Action.CREATE,
            actor=actor,
            network=committee.network,
            obj=member,
            fields=["committee", "person", "is_chair"],
            note="chair" if is_chair else "member",
        )
    elif member.is_chair != is_chair:
        committee_member_set_chair(member=member, is_chair=is_chair, actor=actor)
    return member, created


def committee_member_set_chair(
    *, member: CommitteeMember, is_chair: bool, actor: User | None = None
) -> None:
    if member.is_chair == is_chair:
        return
    CommitteeMember.objects.filter(pk=member.pk).update(is_chair=is_chair)
    member.is_chair = is_chair
    audit_record(
        action=AuditEvent.Action.UPDATE,
        actor=actor,
        network=member.committee.network,
        obj=member,
        fields=["is_chair"],
        note="chair" if is_chair else "member",
    )


@transaction.atomic
def committee_member_remove(
    *, committee: Committee, person: Person, actor: User | None = None
) -> bool:
    """Take ``person`` off the committee; their open tasks become unassigned."""
    member = CommitteeMember.objects.filter(committee=committee, person=person).first()
    if member is None:
        return False
    member_pk = member.pk
    unassigned = (
        Task.objects.filter(committee=committee, assignee=person)
        .exclude(status=Task.Status.DONE)
        .update(assignee=None)
    )
    member.delete()
    member.pk = member_pk  # for the audit target
    people_changed(network_id=committee.network_id, person_ids=[person.pk])
    audit_record(
        action=AuditEvent.Action.DELETE,
        actor=actor,
        network=committee.network,
        obj=member,
        fields=["committee", "person"],
        note=f"unassigned={unassigned}",
    )
    return True


# --- tasks --------------------------------------------------------------------------


def _check_assignee(committee: Committee, assignee: Person | None) -> None:
    if assignee is None:
        return
    if not CommitteeMember.objects.filter(committee=committee, person=assignee).exists():
        raise ValidationError(
            _("Only a member of this committee can be assigned its tasks."), code="not_member"
        )


def _clean_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("Write what needs doing."), code="required")
    return title


def _check_status(status: str) -> None:
    if status not in Task.Status.values:
        raise ValidationError(_("Unknown task status."), code="invalid_status")


@transaction.atomic
def task_create(
    *,
    committee: Committee,
    title: str,
    assignee: Person | None = None,
    due_date: date | None = None,
    status: str = Task.Status.TODO,
    actor: User | None = None,
) -> Task:
    title = _clean_title(title)
    _check_assignee(committee, assignee)
    _check_status(status)
    task = Task.objects.create(
        committee=committee, title=title, assignee=assignee, due_date=due_date, status=status
    )
    audit_record(
        action=AuditEvent.Action.CREATE,
        actor=actor,
        network=committee.network,
        obj=task,
        fields=["title", "assignee", "due_date", "status"],
    )
    return task


@transaction.atomic
def task_update(
    *,
    task: Task,
    title: str,
    assignee: Person | None,
    due_date: date | None,
    status: str,
    actor: User | None = None,
) -> list[str]:
    """Change a task; returns the names of the fields that changed."""
    title = _clean_title(title)
    _check_assignee(task.committee, assignee)
    _check_status(status)
    changed = []
    if task.title != title:
        task.title = title
        changed.append("title")
    if task.assignee_id != (assignee.pk if assignee else None):
        task.assignee = assignee
        changed.append("assignee")
    if task.due_date != due_date:
        task.due_date = due_date
        changed.append("due_date")
    if task.status != status:
        task.status = status
        changed.append("status")
    if changed:
        task.save()
        audit_record(
            action=AuditEvent.Action.UPDATE,
            actor=actor,
            network=task.committee.network,
            obj=task,
            fields=changed,
        )
    return changed


def task_move(*, task: Task, status: str, actor: User | None = None) -> bool:
    """Move a task to another column. Moving it where it already is changes nothing."""
    _check_status(status)
    if task.status == status:
        return False
    before = task.status
    Task.objects.filter(pk=task.pk).update(status=status)
    task.status = status
    audit_record(
        action=AuditEvent.Action.UPDATE,
        actor=actor,
        network=task.committee.network,
        obj=task,
        fields=["status"],
        note=f"{before}->{status}",
    )
    return True
