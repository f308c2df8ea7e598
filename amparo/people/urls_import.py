"""Import (upload, preview, import) and export of people, included at /people/import/."""

from django.urls import path

from . import views_import

urlpatterns = [
    path("", views_import.import_start, name="import"),
    path("<int:pk>/", views_import.import_preview, name="import_preview"),
    path("export/", views_import.export, name="export"),
]
