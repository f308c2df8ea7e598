from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from .models import Membership

SESSION_NETWORK = "amparo_network_id"


class NetworkMiddleware:
    """Attach the active network and membership to each request of a logged-in user.

    A user in several networks picks one (stored in the session); otherwise their
    only active membership is used. It also applies the user's preferred language
    when no language was chosen on this browser.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = None  # UTC unless the request belongs to a network
        request.network = None  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        user = request.user
        if user.is_authenticated:
            memberships = (
                Membership.objects.filter(user=user, is_active=True, network__is_active=True)
                .select_related("network")
                .prefetch_related("roles")
                .order_by("network__name")
            )
            wanted = request.session.get(SESSION_NETWORK)
            chosen = None
            for membership in memberships:
                if chosen is None or membership.network_id == wanted:
                    chosen = membership
            if chosen is not None:
                request.network = chosen.network  # type: ignore[attr-defined]
                request.membership = chosen  # type: ignore[attr-defined]
                # every time on the page in the network's own time zone
                zone = chosen.network.zone()
            from django.conf import settings

            if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
                language = getattr(user, "language", "") or ""
                if translation.check_for_language(language):
                    translation.activate(language)
                    request.LANGUAGE_CODE = language
        # the zone holds for this request only: the thread's own is put back afterwards
        with timezone.override(zone):
            return self.get_response(request)
