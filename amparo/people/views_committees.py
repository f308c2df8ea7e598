"""Committees, their members and chairs, and each committee's task board.

Viewing: anyone with the committee capability or who may see members. The board
(task text is sensitive): the committee's chairs, its members who hold the committee
capability, and coordinators. Membership changes: Cap.MEMBERS_MANAGE.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from amparo.accounts.access import (
    capability_required,
    has_capability,
    request_network,
    request_user,
)
from amparo.accounts.roles import Cap
from amparo.lib.forms import render_form

from . import committees as svc
from .access import (
    get_board_for_user,
    get_committee_for_user,
    get_person_for_user,
    get_task_for_user,
    runs_board,
)
from .forms_committees import ChairForm, MemberAddForm, MoveForm, TaskForm, name_search
from .models import Committee, Task

VIEW_CAPS = (Cap.COMMITTEE, Cap.MEMBERS_VIEW, Cap.MEMBERS_MANAGE, Cap.NETWORK_MANAGE)


def _board_url(committee: Committee, task: Task | None = None) -> str:
    url = reverse("people:committee", kwargs={"pk": committee.pk})
    return f"{url}#task-{task.pk}" if task is not None else f"{url}#board"


@capability_required(*VIEW_CAPS)
def committees(request: HttpRequest) -> HttpResponse:
    network = request_network(request)
    mine = svc.committee_ids_of_user(network=network, user=request_user(request))
    rows = [
        {"committee": c, "mine": c.pk in mine, "chair": mine.get(c.pk, False)}
        for c in svc.committees_with_counts(network=network)
    ]
    return render(request, "people/committees.html", {"rows": rows})


@never_cache
def committee(request: HttpRequest, pk: int) -> HttpResponse:
    obj = get_committee_for_user(request, pk)
    can_run = runs_board(request, obj)
    can_manage = has_capability(request, Cap.MEMBERS_MANAGE)
    members = svc.committee_members(committee=obj)
    context: dict[str, object] = {
        "committee": obj,
        "members": members,
        "can_run": can_run,
        "can_manage": can_manage,
    }
    if can_manage:
        context.update(name_search(request, obj.network, {m.person_id for m in members}))
    if can_run:
        board = svc.committee_board(committee=obj)
        context.update(
            columns=[(status, label, board[status]) for status, label in Task.Status.choices],
            statuses=Task.Status.values,
            task_form=TaskForm(committee=obj, with_status=False),
            today=timezone.localdate(),
        )
    return render(request, "people/committee.html", context)


@require_POST
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    obj = get_committee_for_user(request, pk, capability=Cap.MEMBERS_MANAGE)
    form = MemberAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a person."))
        return redirect("people:committee", pk=obj.pk)
    person = get_person_for_user(
        request, form.cleaned_data["person"], capability=Cap.MEMBERS_MANAGE
    )
    try:
        _member, created = svc.committee_member_add(
            committee=obj,
            person=person,
            is_chair=form.cleaned_data["chair"],
            actor=request_user(request),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Added to the committee.") if created else _("Already on the committee; updated."),
        )
    return redirect("people:committee", pk=obj.pk)


@require_POST
def member_remove(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    obj = get_committee_for_user(request, pk, capability=Cap.MEMBERS_MANAGE)
    person = get_person_for_user(request, person_pk, capability=Cap.MEMBERS_MANAGE)
    if svc.committee_member_remove(committee=obj, person=person, actor=request_user(request)):
        messages.success(request, _("Removed from the committee."))
    else:
        messages.error(request, _("This person is not on the committee."))
    return redirect("people:committee", pk=obj.pk)


@require_POST
def member_chair(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    obj = get_committee_for_user(request, pk, capability=Cap.MEMBERS_MANAGE)
    person = get_person_for_user(request, person_pk, capability=Cap.MEMBERS_MANAGE)
    member = obj.members.filter(person=person).select_related("committee__network").first()
    if member is None:
        messages.error(request, _("This person is not on the committee."))
        return redirect("people:committee", pk=obj.pk)
    form = ChairForm(request.POST)
    form.is_valid()
    svc.committee_member_set_chair(
        member=member, is_chair=bool(form.cleaned_data.get("chair")), actor=request_user(request)
    )
    messages.success(request, _("Saved."))
    return redirect("people:committee", pk=obj.pk)


def task_create(request: HttpRequest, pk: int) -> HttpResponse:
    obj = get_board_for_user(request, pk)
    form = TaskForm(request.POST or None, committee=obj, with_status=False)
    if request.method == "POST" and form.is_valid():
        try:
            task = svc.task_create(committee=obj, actor=request_user(request), **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Task added."))
            return redirect(_board_url(obj, task))
    return render_form(request, "people/committee_task_form.html", {"committee": obj, "form": form})


@never_cache
def task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_task_for_user(request, pk)
    obj = task.committee
    initial = {
        "title": task.title,
        "assignee": task.assignee_id,
        "due_date": task.due_date,
        "status": task.status,
    }
    form = TaskForm(request.POST or None, committee=obj, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changed = svc.task_update(task=task, actor=request_user(request), **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Task saved.") if changed else _("Nothing changed."))
            return redirect(_board_url(obj, task))
    return render_form(
        request, "people/committee_task_form.html", {"committee": obj, "form": form, "task": task}
    )


@require_POST
def task_move(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_task_for_user(request, pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown task status."))
        return redirect(_board_url(task.committee, task))
    if svc.task_move(task=task, status=form.cleaned_data["status"], actor=request_user(request)):
        messages.success(
            request,
            _("Task moved to “%(column)s”.") % {"column": task.get_status_display()},
        )
    return redirect(_board_url(task.committee, task))
