"""Mounted at /incidents/ in the "reports" namespace: the dispatcher console."""

from django.urls import path

from . import views_console as views

urlpatterns = [
    path("", views.console, name="console"),
    path("feed/", views.console_feed, name="console_feed"),
    path("<int:pk>/", views.incident_view, name="incident"),
    path("<int:pk>/merge/", views.incident_merge, name="incident_merge"),
    path("<int:pk>/status/", views.incident_status, name="incident_status"),
    path("<int:pk>/note/", views.incident_note, name="incident_note"),
    path("<int:pk>/meeting-point/", views.incident_meeting_point, name="incident_meeting_point"),
    path("reports/<int:pk>/split/", views.report_split, name="report_split"),
]
