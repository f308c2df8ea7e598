"""Public (no login), by unguessable token: a petition's page (mounted at /petition/)
and a case's letters-of-support form (mounted at /support/)."""

from django.urls import path

from . import views

petition_urlpatterns = [path("<str:token>/", views.petition_public, name="petition_public")]
letters_urlpatterns = [path("<str:token>/", views.letters_public, name="letters_public")]
