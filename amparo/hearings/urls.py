"""Mounted at /hearings/ in the "hearings" namespace."""

from django.urls import path

from . import views

app_name = "hearings"

urlpatterns = [
    path("", views.hearing_list, name="list"),
    path("<int:pk>/", views.hearing_view, name="hearing"),
    path("<int:pk>/accompany/", views.hearing_accompany, name="accompany"),
    path("<int:pk>/outcome/", views.hearing_outcome, name="outcome"),
    path("case/<int:case_pk>/new/", views.hearing_new, name="new"),
]
