"""The project's URLs plus the Telegram webhook (until amparo/urls.py mounts it)."""

from django.urls import include, path

from amparo.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("hooks/telegram/", include("amparo.channels.telegram.urls")),
    *project_urlpatterns,
]
