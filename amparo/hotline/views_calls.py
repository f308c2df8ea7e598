"""The call log, a call's page, its voicemail (streamed, never cached) and "called back"."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amparo.accounts.access import capability_required, network_queryset
from amparo.accounts.audit import audit_read
from amparo.accounts.roles import Cap

from .access import get_call_for_user
from .calls import call_callback_done, voicemail_audio
from .models import Call

PAGE_SIZE = 100


@capability_required(Cap.HOTLINE)
def calls(request: HttpRequest) -> HttpResponse:
    waiting_only = request.GET.get("waiting") == "1"
    rows = network_queryset(request, Call).select_related("answered_by")
    if waiting_only:
        rows = rows.exclude(recording_status=Call.Recording.NONE).filter(
            callback_done_at__isnull=True
        )
    # The log shows no numbers: they are on each call's page (and its read is audited).
    rows = rows.defer("from_number", "recording").order_by("-started_at")[:PAGE_SIZE]
    return render(request, "hotline/calls.html", {"calls": rows, "waiting_only": waiting_only})


def call_view(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_call_for_user(request, pk)
    audit_read(actor=request.user, obj=call, network=call.network, reason="call page")
    return render(
        request,
        "hotline/call.html",
        {
            "call": call,
            "has_voicemail": call.recording_status == Call.Recording.STORED,
            "voicemail_waiting": call.recording_status != Call.Recording.NONE
            and call.callback_done_at is None,
        },
    )


def call_voicemail(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_call_for_user(request, pk)
    audio = voicemail_audio(call=call)
    if not audio:
        return HttpResponse(_("No voicemail is stored for this call."), status=404)
    audit_read(actor=request.user, obj=call, network=call.network, reason="voicemail")
    response = HttpResponse(audio, content_type="audio/mpeg")
    response["Cache-Control"] = "no-store, private"
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
def call_called_back(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_call_for_user(request, pk)
    if call_callback_done(call=call, user=request.user):  # type: ignore[arg-type]
        messages.success(request, _("Marked as called back."))
    return redirect("hotline:call", pk=call.pk)
