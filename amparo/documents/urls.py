"""Mounted at /documents/ in the "documents" namespace."""

from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("", views.index, name="index"),
    path("print/", views.network_print, name="print"),
    path("clauses/", views.clauses, name="clauses"),
    path("<int:pk>/", views.template_view, name="template"),
    path("<int:pk>/sample.<str:fmt>", views.template_sample, name="sample"),
    path("incident/<int:pk>/", views.incident_print, name="incident"),
    path("audit/<int:pk>/", views.audit_print, name="audit"),
]
