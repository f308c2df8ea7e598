from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from amparo.accounts.access import capability_required, getter, network_queryset, request_network
from amparo.accounts.roles import Cap
from amparo.channels.outbox import outbox_write
from amparo.lib.phones import display_phone

from ..forms import ReplyForm
from .forms import ComposeForm
from .models import SandboxThread
from .services import CHANNEL, sandbox_call_answer, sandbox_reply

PAGE = 50

get_thread_for_user = getter(SandboxThread, capability=Cap.SANDBOX)


def _enabled() -> None:
    if not settings.SANDBOX_ENABLED:
        raise Http404


@capability_required(Cap.SANDBOX)
def phone_list(request: HttpRequest) -> HttpResponse:
    _enabled()
    threads = list(network_queryset(request, SandboxThread)[:PAGE])
    form = ComposeForm(request.POST or None, label=_("Text Amparo will send"))
    if request.method == "POST" and form.is_valid():
        outbox_write(
            network=request_network(request),
            channel=CHANNEL,
            to=form.cleaned_data["number"],
            body=form.cleaned_data["body"],
            purpose="sandbox-test",
            language=request.LANGUAGE_CODE,
        )
        messages.success(request, _("Message queued. It appears on the phone once sent."))
        return redirect("sandbox:list")
    rows: list[dict[str, Any]] = [
        {"thread": t, "number": display_phone(t.number or "")} for t in threads
    ]
    return render(request, "sandbox/list.html", {"rows": rows, "form": form})


def phone_thread(request: HttpRequest, pk: int) -> HttpResponse:
    _enabled()
    thread = get_thread_for_user(request, pk)
    if request.method == "POST" and "key" in request.POST:  # a key pressed on a call
        try:
            call_id = int(request.POST.get("call", ""))
        except ValueError:
            call_id = 0
        answered = sandbox_call_answer(thread=thread, message_id=call_id, key=request.POST["key"])
        if answered is None:
            messages.error(request, _("Press 1 or 2 on a call from Amparo."))
        elif answered:
            messages.success(request, _("Key sent to Amparo."))
        else:
            messages.info(request, _("This alert is closed: the answer was not recorded."))
        return redirect("sandbox:thread", pk=thread.pk)
    form = ReplyForm(request.POST or None, label=_("Reply as this person"))
    if request.method == "POST" and form.is_valid():
        sandbox_reply(thread=thread, body=form.cleaned_data["body"])
        messages.success(request, _("Reply sent to Amparo."))
        return redirect("sandbox:thread", pk=thread.pk)
    return render(
        request,
        "sandbox/thread.html",
        {
            "thread": thread,
            "number": display_phone(thread.number or ""),
            "thread_messages": list(thread.messages.select_related("delivery")),
            "form": form,
        },
    )
