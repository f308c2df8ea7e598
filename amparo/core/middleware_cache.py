"""No page that may carry personal data is kept by a browser or a shared cache.

A signed-in user's responses always get ``Cache-Control: no-store, private`` (a shared or
seized computer keeps no copy); anyone else's too, unless the view chose its own caching
(the public status page). Static files never get here: WhiteNoise answers them first."""

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
