"""Mounted at /playbooks/ in the "playbooks" namespace."""

from django.urls import path

from . import views

app_name = "playbooks"

urlpatterns = [
    path("", views.home, name="home"),
    path("<int:pk>/", views.playbook_view, name="playbook"),
    path("steps/<int:pk>/", views.step_view, name="step"),
    path("contacts/", views.contacts, name="contacts"),
    path("contacts/<int:pk>/", views.contacts, name="contact"),
    path("templates/<str:phase>/", views.template_edit, name="template"),
]
