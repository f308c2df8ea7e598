"""No page that may carry personal data is kept by a browser or a shared cache.

Every response to a signed-in user gets ``Cache-Control: no-store, private`` (a
coordinator's browser on a shared or seized computer keeps no copy of a person's page;
no proxy keeps one either), whatever the view said. A response to someone not signed
in gets the same unless its view chose its own caching (the public status page, towns
only, is ``public, max-age=30``). Static files never reach this middleware:
WhiteNoise, before it in ``settings.MIDDLEWARE``, answers them with their long
caching (their names carry their content hash)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEADER = "Cache-Control"
NO_STORE = "no-store, private"


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        chosen = response.get(HEADER, "")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            directives = {part.strip().lower() for part in chosen.split(",")}
            if not {"no-store", "private"} <= directives:
                response[HEADER] = NO_STORE
        elif not chosen:
            response[HEADER] = NO_STORE
        return response
