"""Mounted at /cases/ in the "cases" namespace."""

from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_new, name="new"),
    path("<int:pk>/", views.case_view, name="case"),
    path("<int:pk>/edit/", views.case_edit, name="edit"),
    path("<int:pk>/transfer/", views.case_transfer_view, name="transfer"),
    path("<int:pk>/counsel/", views.case_counsel_view, name="counsel"),
    path("<int:pk>/state/", views.case_state_view, name="state"),
    path("<int:pk>/team/", views.case_team_view, name="team"),
    path("incident/<int:pk>/", views.incident_cases, name="incident"),
    path("handoff/<int:pk>/", views.handoff_view, name="handoff"),
]
