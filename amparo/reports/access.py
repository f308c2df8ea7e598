"""Who may open an incident or a report (accounts/access.py: 404 for another network's)."""

from __future__ import annotations

from amparo.accounts.access import getter
from amparo.accounts.roles import Cap

from .models import Incident, Report, VerificationRequest

get_incident_for_user = getter(
    Incident.objects.select_related("place"), capability=Cap.REPORTS_VIEW
)
get_report_for_user = getter(Report.objects.select_related("incident"), capability=Cap.DISPATCH)
get_verification_request_for_user = getter(
    VerificationRequest.objects.select_related("incident__network", "verifier"),
    capability=Cap.VERIFY,
    network_field="incident__network",
)
