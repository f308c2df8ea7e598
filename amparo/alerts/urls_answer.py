"""Mounted at /a/ with no namespace: the responders' magic links (public)."""

from django.urls import path

from . import views_answer

urlpatterns = [path("<str:token>/", views_answer.alert_answer, name="alert_answer")]
