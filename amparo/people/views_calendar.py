"""A person's calendar feed (no login: the secret link is the key) and its "new link"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from amparo.accounts.access import request_user

from .calendar import feed_ics, feed_person, feed_revoke
from .identity import request_person


@login_not_required
@require_GET
def calendar_feed(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    person = feed_person(pk=pk, token=token)
    if person is None:
        return HttpResponse(
            _("This calendar link is not valid."), status=404, content_type="text/plain"
        )
    response = HttpResponse(feed_ics(person=person), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="amparo.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_POST
def calendar_renew(request: HttpRequest) -> HttpResponse:
    """A new link for the logged-in person's feed; the old one stops working."""
    me = request_person(request)
    if me is not None:
        feed_revoke(person=me, actor=request_user(request))
        messages.success(request, _("New calendar link made. The old link no longer works."))
    back = request.POST.get("next", "")
    return redirect(back if url_has_allowed_host_and_scheme(back, {request.get_host()}) else "/")
