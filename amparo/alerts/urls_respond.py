"""Included by amparo/alerts/urls.py at /alerts/ (namespace "alerts")."""

from django.urls import path

from . import views_respond

urlpatterns = [
    path("<int:incident_pk>/respond/", views_respond.respond, name="respond"),
    path("<int:pk>/", views_respond.alert, name="alert"),
    path("<int:pk>/approve/", views_respond.approve, name="approve"),
    path("<int:pk>/cancel/", views_respond.cancel, name="cancel"),
]
