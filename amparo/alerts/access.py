"""Who may open an alert or a facility (accounts/access.py: 404 for another network's)."""

from __future__ import annotations

from amparo.accounts.access import getter
from amparo.accounts.roles import Cap

from .models import Alert, Facility

#: the board, the timeline and the drills: dispatchers and whoever watches the console
BOARD = (Cap.DISPATCH, Cap.REPORTS_VIEW)

get_alert_for_user = getter(
    Alert.objects.select_related("facility", "incident", "network"), capability=BOARD
)
get_facility_for_user = getter(Facility, capability=Cap.NETWORK_MANAGE)
