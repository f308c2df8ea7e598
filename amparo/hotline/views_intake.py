"""Hotline pages for responders (Cap.HOTLINE): intake, text conversations, the referral
directory and the sandbox phone's simulated call. Thin: the work is in intake.py,
conversations.py, referrals.py and sandbox_call.py."""

from __future__ import annotations

import base64
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amparo.accounts.access import (
    capability_required,
    has_capability,
    members_with_capability,
    request_network,
    request_user,
    visible,
)
from amparo.accounts.audit import audit_read
from amparo.accounts.models import User
from amparo.accounts.needtoknow import assign, open_assignments, unassign
from amparo.accounts.roles import Cap
from amparo.channels.forms import ReplyForm
from amparo.channels.sandbox.views import sandbox_enabled
from amparo.lib.phones import display_phone
from amparo.people.identity import request_person

from . import conversations as conv
from . import sandbox_call as sbc
from .access import get_call_for_user, get_conversation_for_user, get_intake_for_user
from .forms_intake import (
    IntakeAssignForm,
    IntakeForm,
    IntakeStartForm,
    ReferralSearchForm,
    SandboxCallForm,
    VoicemailForm,
)
from .intake import intake_finish, intake_start
from .models import Call, Conversation, Intake, Outcome
from .referrals import referrals_search
from .scripts import script_for

LOG_SHOWN = 50


def _error_fields(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}


# --- intake (need-to-know: hotline/access.py) ----------------------------------------------


def _responders(request: HttpRequest) -> list[tuple[int, str]]:
    """The network's active members who answer the hotline, for the assignment form."""
    found = [
        (m.user_id, m.user.display_name or _("user %(id)s") % {"id": m.user_id})
        for m in members_with_capability(request_network(request), Cap.HOTLINE)
    ]
    return sorted(found, key=lambda pair: (str(pair[1]).casefold(), pair[0]))


def _assignment_context(request: HttpRequest, intake: Intake) -> dict[str, Any]:
    if not has_capability(request, Cap.HOTLINE_ALL_INTAKES):
        return {}
    return {
        "can_assign": True,
        "assignments": list(open_assignments(intake)),
        "assign_form": IntakeAssignForm(prefix="assign", responders=_responders(request)),
    }


@capability_required(Cap.HOTLINE)
def intake_log(request: HttpRequest) -> HttpResponse:
    """The call log (no answers), of the intakes this member may see (need-to-know)."""
    intakes = list(
        visible(request, Intake, all_cap=Cap.HOTLINE_ALL_INTAKES, own="responder")
        .select_related("responder")
        .defer("answers")
        .order_by("-started_at")[:LOG_SHOWN]
    )
    return render(
        request,
        "hotline/intake_log.html",
        {"intakes": intakes, "sees_all": has_capability(request, Cap.HOTLINE_ALL_INTAKES)},
    )


@capability_required(Cap.HOTLINE)
def intake_start_view(request: HttpRequest) -> HttpResponse:
    network = request_network(request)
    call = conversation = None
    source = request.POST if request.method == "POST" else request.GET
    if source.get("call"):
        call = get_call_for_user(request, source.get("call"))
    elif source.get("conversation"):
        conversation = get_conversation_for_user(request, source.get("conversation"))
    language = (
        (call.language if call else "")
        or (conversation.language if conversation else "")
        or (network.languages or ["es"])[0]
    )
    form = IntakeStartForm(request.POST or None, initial={"language": language})
    if request.method == "POST" and form.is_valid():
        intake = intake_start(
            network=network,
            responder=request_user(request),
            situation=form.cleaned_data["situation"],
            language=form.cleaned_data["language"],
            call=call,
            conversation=conversation,
        )
        return redirect("hotline:intake", pk=intake.pk)
    return render(
        request,
        "hotline/intake_start.html",
        {"form": form, "call": call, "conversation": conversation},
    )


def intake_view(request: HttpRequest, pk: int) -> HttpResponse:
    intake = get_intake_for_user(request, pk)
    if intake.finished_at is not None:
        return redirect("hotline:intake_outcome", pk=intake.pk)
    network = request_network(request)
    script = script_for(intake.situation)
    form = IntakeForm(
        request.POST or None, network=network, script=script, initial=dict(intake.answers or {})
    )
    if request.method == "POST" and form.is_valid():
        try:
            result = intake_finish(
                intake=intake,
                actor=request_user(request),
                outcome=form.cleaned_data["outcome"],
                answers=form.answers(),
                referral=form.cleaned_data.get("referral"),
                callback_due=form.cleaned_data.get("callback_due"),
            )
        except ValidationError as exc:
            for field, errors in _error_fields(exc).items():
                for error in errors:
                    form.add_error(None if field not in form.fields else field, error)
        else:
            request.session[f"intake-{intake.pk}-notified"] = result.notified
            request.session[f"intake-{intake.pk}-texted"] = result.caller_texted
            return redirect("hotline:intake_outcome", pk=intake.pk)
    else:
        audit_read(actor=request_user(request), obj=intake, reason="intake")
    return render(
        request,
        "hotline/intake.html",
        {"intake": intake, "script": script, "form": form, **_assignment_context(request, intake)},
    )


def intake_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    intake = get_intake_for_user(request, pk)
    audit_read(actor=request_user(request), obj=intake, reason="intake")
    script = script_for(intake.situation)
    labels = {q.key: q.label for q in script.questions}
    answers = [(labels.get(k, k), v) for k, v in (intake.answers or {}).items()]
    callback = intake.callbacks.order_by("-id").first()
    return render(
        request,
        "hotline/intake_outcome.html",
        {
            "intake": intake,
            "answers": answers,
            "callback": callback,
            "notified": request.session.get(f"intake-{intake.pk}-notified"),
            "texted": request.session.get(f"intake-{intake.pk}-texted"),
            "activated": intake.outcome == Outcome.ACTIVATE,
            **_assignment_context(request, intake),
        },
    )


@require_POST
@capability_required(Cap.HOTLINE)
def intake_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Hand the intake to a responder or take it back (``revoke``); HOTLINE_ALL_INTAKES; audited."""
    intake = get_intake_for_user(request, pk, capability=Cap.HOTLINE_ALL_INTAKES)
    back = "hotline:intake_outcome" if intake.finished_at else "hotline:intake"
    responders = _responders(request)
    if request.POST.get("revoke"):
        member_ids = {uid for uid, _name in responders} | set(
            open_assignments(intake).values_list("user_id", flat=True)
        )
        try:
            revoke_id = int(request.POST["revoke"])
        except ValueError:
            revoke_id = 0
        if revoke_id not in member_ids:
            messages.error(request, _("Choose a responder from the list."))
        else:
            user = User.objects.get(pk=revoke_id)
            if unassign(obj=intake, user=user, by=request_user(request)):
                messages.success(request, _("The responder can no longer open this intake."))
            else:
                messages.info(request, _("This responder had no assignment to take back."))
        return redirect(back, pk=intake.pk)
    form = IntakeAssignForm(request.POST, prefix="assign", responders=responders)
    if form.is_valid():
        try:
            assign(
                obj=intake,
                user=User.objects.get(pk=form.cleaned_data["user"]),
                granted_by=request_user(request),
                reason=form.cleaned_data.get("reason") or "",
                expires_at=form.cleaned_data.get("until"),
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The responder can now open this intake."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect(back, pk=intake.pk)


# --- referral directory ---------------------------------------------------------------------


@capability_required(Cap.HOTLINE)
def referrals(request: HttpRequest) -> HttpResponse:
    form = ReferralSearchForm(request.GET or None)
    need = text = ""
    if form.is_valid():
        need, text = form.cleaned_data["need"], form.cleaned_data["q"]
    organizations = referrals_search(network=request_network(request), need=need, text=text)
    return render(request, "hotline/referrals.html", {"form": form, "organizations": organizations})


# --- text conversations ---------------------------------------------------------------------


@capability_required(Cap.HOTLINE)
def conversations(request: HttpRequest) -> HttpResponse:
    rows = [
        {"conversation": c, "waiting": waiting, "number": display_phone(c.number or "")}
        for c, waiting in conv.conversations_open(network=request_network(request))
    ]
    return render(request, "hotline/conversations.html", {"rows": rows})


def conversation(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = get_conversation_for_user(request, pk)
    form = ReplyForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("action") == "close":
            conv.conversation_close(conversation=conversation)
            messages.success(request, _("Conversation closed."))
            return redirect("hotline:conversations")
        if conversation.status != Conversation.Status.OPEN:
            messages.error(request, _("This conversation is closed."))
            return redirect("hotline:conversation", pk=conversation.pk)
        if form.is_valid():
            conv.conversation_reply(
                conversation=conversation,
                author=request_user(request),
                body=form.cleaned_data["body"],
            )
            messages.success(request, _("Reply queued."))
            return redirect("hotline:conversation", pk=conversation.pk)
    else:
        audit_read(actor=request_user(request), obj=conversation, reason="conversation")
    return render(
        request,
        "hotline/conversation.html",
        {
            "conversation": conversation,
            "number": display_phone(conversation.number or ""),
            "thread": list(conversation.messages.all()),
            "form": form,
            "intake_url": reverse("hotline:intake_start")
            + "?"
            + urlencode({"conversation": conversation.pk}),
        },
    )


# --- the sandbox phone calls the hotline --------------------------------------------------


@capability_required(Cap.HOTLINE)
def sandbox_call(request: HttpRequest) -> HttpResponse:
    sandbox_enabled()
    form = SandboxCallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        call = sbc.sandbox_call_begin(
            network=request_network(request), from_number=form.cleaned_data["number"]
        )
        return redirect("hotline:sandbox_call_step", pk=call.pk)
    return render(request, "hotline/sandbox_call.html", {"form": form})


@capability_required(Cap.HOTLINE)
def sandbox_call_step(request: HttpRequest, pk: int) -> HttpResponse:
    sandbox_enabled()
    call = get_call_for_user(request, pk, provider=sbc.PROVIDER)
    voicemail_form = VoicemailForm(
        request.POST if request.POST.get("action") == "voicemail" else None
    )
    if request.method == "POST":
        action = request.POST.get("action", "")
        stage = sbc.sandbox_call_stage(call)
        if action == "digits" and stage == "menu":
            sbc.sandbox_call_menu(call=call, digits=request.POST.get("digits", ""))
        elif action == "unanswered" and stage in ("primary", "backup"):
            sbc.sandbox_call_unanswered(call=call)
        elif action == "answer" and stage in ("primary", "backup"):
            # The sandbox plays every phone: a user who is not ringing picks up one that is.
            ringing = sbc.sandbox_call_ringing_people(call)
            me = request_person(request)
            if me is None or all(p.pk != me.pk for p in ringing):
                me = ringing[0] if ringing else None
            if me is None or not sbc.sandbox_call_answer(call=call, person=me):
                messages.error(request, _("This call cannot be answered from your account."))
            else:
                url = reverse("hotline:intake_start") + "?" + urlencode({"call": call.pk})
                return redirect(url)
        elif action == "voicemail" and stage == "voicemail":
            if voicemail_form.is_valid():
                sbc.sandbox_call_voicemail(call=call, text=voicemail_form.cleaned_data["text"])
                messages.success(request, _("Voicemail left. The people on shift were told."))
            else:
                return _step_page(request, call, voicemail_form)
        elif action == "hangup" and stage != "done":
            sbc.sandbox_call_hangup(call=call)
        return redirect("hotline:sandbox_call_step", pk=call.pk)
    return _step_page(request, call, voicemail_form)


def _step_page(request: HttpRequest, call: Call, voicemail_form: VoicemailForm) -> HttpResponse:
    call.refresh_from_db()
    stage = sbc.sandbox_call_stage(call)
    ringing = sbc.sandbox_call_ringing_people(call) if stage in ("primary", "backup") else []
    me = request_person(request)
    context: dict[str, Any] = {
        "call": call,
        "stage": stage,
        "ringing_count": len(ringing),
        "i_am_ringing": me is not None and any(p.pk == me.pk for p in ringing),
        "voicemail_form": voicemail_form,
        "voicemail_text": "",
    }
    if call.recording and call.recording_status == Call.Recording.STORED:
        audit_read(actor=request_user(request), obj=call, reason="sandbox voicemail")
        context["voicemail_text"] = base64.b64decode(call.recording).decode(errors="replace")
    return render(request, "hotline/sandbox_call_step.html", context)
