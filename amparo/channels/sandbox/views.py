from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from amparo.accounts.access import capability_required, getter, network_queryset, request_network
from amparo.accounts.roles import Cap
from amparo.channels.outbox import outbox_write
from amparo.lib.crypto.blind import blind_index
from amparo.lib.phones import display_phone, normalize_phone

from ..forms import ReplyForm
from .forms import ComposeForm, SearchForm
from .models import SandboxThread
from .services import CHANNEL, sandbox_call_answer, sandbox_reply

PAGE = 50

_URL = re.compile(r"https?://[^\s<>\"']+")


def own_links(body: str) -> SafeString:
    """A message as the phone shows it: Amparo's own links (``BASE_URL``…) can be tapped
    and open on this server, as they would on the person's phone; any other address
    stays plain text (the sandbox never sends anyone elsewhere)."""
    base = settings.BASE_URL.rstrip("/")
    parts: list[str] = []
    last = 0
    for match in _URL.finditer(body):
        url = match.group(0).rstrip(".,;:)")
        parts.append(escape(body[last : match.start()]))
        if url.startswith(base + "/"):
            path = url[len(base) :]
            parts.append(f'<a href="{escape(path)}" rel="noreferrer">{escape(url)}</a>')
        else:
            parts.append(escape(url))
        last = match.start() + len(url)
    parts.append(escape(body[last:]))
    return mark_safe("".join(parts).replace("\n", "<br>"))  # noqa: S308 - escaped above


get_thread_for_user = getter(SandboxThread, capability=Cap.SANDBOX)


def sandbox_enabled() -> None:
    if not settings.SANDBOX_ENABLED:
        raise Http404


def _names(request: HttpRequest, threads: list[SandboxThread]) -> dict[int, str]:
    """thread id -> the (fictional) people of its number, via the people app's hook."""
    numbers = {t.pk: t.number or "" for t in threads}
    found = import_string(settings.SANDBOX_NAMES_HOOK)(
        network=request_network(request), numbers=list(set(numbers.values()))
    )
    return {pk: ", ".join(found.get(number, [])) for pk, number in numbers.items()}


def _search(request: HttpRequest, q: str) -> list[SandboxThread]:
    """Threads of a number or of people whose name matches, by keyed hash (nothing decrypted)."""
    network = request_network(request)
    numbers: list[str] = []
    if sum(c.isdigit() for c in q) >= 7:
        try:
            numbers = [normalize_phone(q)]
        except ValidationError:
            numbers = []
    else:
        numbers = import_string(settings.SANDBOX_SEARCH_HOOK)(network=network, q=q, limit=PAGE)
    indexes = [blind_index("address", n) for n in numbers]
    return list(network_queryset(request, SandboxThread).filter(number_index__in=indexes)[:PAGE])


@capability_required(Cap.SANDBOX)
def phone_list(request: HttpRequest) -> HttpResponse:
    """The numbers that received messages, newest first, a page at a time; a search by
    number or name is a POST (a name or number never goes into a URL)."""
    sandbox_enabled()
    searching = request.method == "POST" and request.POST.get("action") == "search"
    search = SearchForm(request.POST if searching else None)
    form = ComposeForm(
        request.POST if request.method == "POST" and not searching else None,
        label=_("Text Amparo will send"),
    )
    if request.method == "POST" and not searching and form.is_valid():
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
    page = None
    if searching:
        threads = _search(request, search.cleaned_data["q"]) if search.is_valid() else []
    else:
        page = Paginator(network_queryset(request, SandboxThread), PAGE).get_page(
            request.GET.get("page")
        )
        threads = list(page.object_list)
    names = _names(request, threads)
    rows: list[dict[str, Any]] = [
        {"thread": t, "number": display_phone(t.number or ""), "name": names.get(t.pk, "")}
        for t in threads
    ]
    return render(
        request,
        "sandbox/list.html",
        {"rows": rows, "form": form, "search": search, "searching": searching, "page": page},
    )


def phone_thread(request: HttpRequest, pk: int) -> HttpResponse:
    sandbox_enabled()
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
            "name": _names(request, [thread]).get(thread.pk, ""),
            "number": display_phone(thread.number or ""),
            "thread_messages": [
                (m, own_links(m.body)) for m in thread.messages.select_related("delivery")
            ],
            "form": form,
        },
    )
