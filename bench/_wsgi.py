"""The real application (behind the same buffered front as amparo.asgi) plus one bench-only view, for baselines on the same server.

``POST /bench/one-insert`` (form field ``ref``) parses the form and inserts one plain
row through the ORM (a ``ProviderDeletion``, channel "bench"): the "view doing one
insert" that a store-and-go webhook is measured against (bench/hotline_webhook.py).
Loaded only by the benchmarks (``start_server(app="bench._wsgi:application")``).
"""

from __future__ import annotations

import os
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amparo.settings")
wsgi_application = get_wsgi_application()

from amparo.core.buffered import BufferedWSGI  # noqa: E402

application = BufferedWSGI(wsgi_application)  # as amparo.asgi serves it

from django.contrib.auth.decorators import login_not_required  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.urls import clear_url_caches, path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402

import amparo.urls  # noqa: E402
from amparo.channels.models import ProviderDeletion  # noqa: E402

ONE_INSERT_PATH = "/bench/one-insert"


@login_not_required
@csrf_exempt
def one_insert(request: HttpRequest) -> HttpResponse:
    ProviderDeletion.objects.create(
        channel="bench", provider_ref=(request.POST.get("ref") or "")[:100], direction="in"
    )
    return HttpResponse(status=204)


patterns: list[Any] = amparo.urls.urlpatterns
patterns.append(path(ONE_INSERT_PATH.lstrip("/"), one_insert))
clear_url_caches()
