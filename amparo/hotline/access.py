"""Who may open the hotline's records (accounts/access.py: 404 for another network's).

An intake is need-to-know (accounts/needtoknow.py): it holds a detained person's
A-number and a family's situation. A responder opens the intakes they took and those
assigned to them; ``Cap.HOTLINE_ALL_INTAKES`` opens every one (and assigns them). Any
other intake answers 404, like another network's."""

from __future__ import annotations

from amparo.accounts.access import getter
from amparo.accounts.roles import Cap

from .models import Call, Conversation, Intake, Shift, ShiftAssignment, ShiftRotation, SwapRequest

get_call_for_user = getter(Call.objects.select_related("answered_by"), capability=Cap.HOTLINE)
get_conversation_for_user = getter(Conversation, capability=Cap.HOTLINE)
get_intake_for_user = getter(
    Intake, capability=Cap.HOTLINE, all_cap=Cap.HOTLINE_ALL_INTAKES, own="responder"
)
get_shift_for_user = getter(Shift, capability=Cap.HOTLINE)
get_rotation_for_user = getter(ShiftRotation, capability=Cap.HOTLINE_SCHEDULE)
get_assignment_for_user = getter(
    ShiftAssignment.objects.select_related("shift__network"),
    capability=Cap.HOTLINE,
    network_field="shift__network",
)
get_swap_for_user = getter(
    SwapRequest.objects.select_related("assignment__shift__network", "requested_by"),
    capability=Cap.HOTLINE,
    network_field="assignment__shift__network",
)
