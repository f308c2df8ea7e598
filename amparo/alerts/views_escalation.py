"""The dispatcher's escalation controls on the board: stop an alert's escalation, or
skip its next step (POST; audited by the service)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amparo.accounts.roles import Cap

from .access import get_alert_for_user
from .escalation import EscalationError, escalation_skip, escalation_stop
from .escalation_words import planned_text


def _back(request: HttpRequest, alert_pk: int, incident_pk: int | None) -> HttpResponse:
    # back to the board the button was on: the incident's, else the alert's own
    if request.POST.get("board") == "incident" and incident_pk is not None:
        url = reverse("alerts:board", kwargs={"incident_pk": incident_pk})
    else:
        url = reverse("alerts:board", kwargs={"alert_pk": alert_pk})
    return redirect(f"{url}#alert-{alert_pk}")


@require_POST
def escalation_control(request: HttpRequest, alert_pk: int) -> HttpResponse:
    alert = get_alert_for_user(request, alert_pk, capability=Cap.DISPATCH)
    what = request.POST.get("do", "")
    try:
        if what == "stop":
            escalation_stop(alert=alert, actor=request.user)  # type: ignore[arg-type]
            messages.success(
                request,
                _("Escalation of alert #%(n)s stopped: no more steps will run.") % {"n": alert.pk},
            )
        elif what == "skip":
            step = escalation_skip(alert=alert, actor=request.user)  # type: ignore[arg-type]
            need = int((step.params or {}).get("need") or alert.target_going or 1)
            messages.success(
                request,
                _("Skipped: %(what)s") % {"what": planned_text(step, kind=alert.kind, need=need)},
            )
        else:
            messages.error(request, _("Choose whether to stop the escalation or skip a step."))
    except EscalationError as exc:
        messages.error(request, exc.message)
    return _back(request, alert.pk, alert.incident_id)
