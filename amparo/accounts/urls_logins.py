"""The coordinator's "Logins" page, mounted at /accounts/logins/ (namespace "logins")."""

from django.urls import path

from . import views_logins as views

app_name = "logins"

urlpatterns = [
    path("", views.logins, name="list"),
    path("add/", views.logins_add, name="add"),
    path("<int:membership_id>/roles/", views.logins_roles, name="roles"),
    path("<int:membership_id>/deactivate/", views.logins_deactivate, name="deactivate"),
    path("<int:membership_id>/activate/", views.logins_activate, name="activate"),
]
