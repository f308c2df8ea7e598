"""Who may open people's records (accounts/access.py: 404 for another network's).

A committee's page: whoever may see members, and whoever runs its board. Its board
(task text is sensitive): coordinators, the committee's chairs, and its members who
hold the committee capability (committees.py: ``committee_can_run_board``)."""

from __future__ import annotations

from django.http import HttpRequest

from amparo.accounts.access import getter, request_user
from amparo.accounts.roles import Cap

from .committees import committee_can_run_board
from .models import (
    Activity,
    Commitment,
    CommitmentCheck,
    Committee,
    Decision,
    Demand,
    ExportRequest,
    ImportBatch,
    Organization,
    Person,
    Place,
    Segment,
    Task,
    TrainingSession,
    TrainingSignup,
)


def runs_board(request: HttpRequest, committee: Committee) -> bool:
    membership = getattr(request, "membership", None)
    capabilities = membership.capabilities() if membership is not None else frozenset()
    return committee_can_run_board(
        committee=committee, user=request_user(request), capabilities=capabilities
    )


get_person_for_user = getter(Person, capability=Cap.MEMBERS_VIEW)
get_segment_for_user = getter(Segment, capability=Cap.MEMBERS_VIEW)
get_organization_for_user = getter(Organization, capability=Cap.MEMBERS_VIEW)
get_committee_for_user = getter(
    Committee, capability=(Cap.MEMBERS_VIEW, Cap.MEMBERS_MANAGE), allow=runs_board
)
get_board_for_user = getter(Committee, capability=Cap.NETWORK_MANAGE, allow=runs_board)
get_task_for_user = getter(
    Task.objects.select_related("committee", "committee__network"),
    capability=Cap.NETWORK_MANAGE,
    allow=lambda request, task: runs_board(request, task.committee),
    network_field="committee__network",
)
get_session_for_user = getter(
    TrainingSession.objects.select_related("training_type"), capability=Cap.TRAININGS
)
get_signup_for_user = getter(
    TrainingSignup.objects.select_related("session__training_type", "session__network"),
    capability=Cap.TRAININGS,
    network_field="session__network",
)
get_activity_for_user = getter(Activity, capability=Cap.CHECKIN)
get_place_for_user = getter(Place, capability=Cap.NETWORK_MANAGE)
get_decision_for_user = getter(Decision, capability=Cap.COMMITTEE)
get_meeting_for_user = getter(Activity, capability=Cap.COMMITTEE)
get_commitment_for_user = getter(
    Commitment, capability=Cap.COMMITTEE, network_field="demand__network"
)
get_demand_for_user = getter(Demand.objects.select_related("target"), capability=Cap.COMMITTEE)
get_check_for_user = getter(
    CommitmentCheck.objects.select_related("commitment__demand"),
    capability=Cap.COMMITTEE,
    network_field="commitment__demand__network",
)
get_export_request_for_user = getter(
    ExportRequest.objects.select_related("network", "segment"), capability=Cap.MEMBERS_EXPORT
)
get_import_for_user = getter(ImportBatch, capability=Cap.MEMBERS_MANAGE)
