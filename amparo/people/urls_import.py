"""Import (upload, preview, import) and export of people, included at /people/import/."""

from django.urls import path

from . import views_export, views_import

urlpatterns = [
    path("", views_import.import_start, name="import"),
    path("<int:pk>/", views_import.import_preview, name="import_preview"),
    path("<int:pk>/progress/", views_import.import_progress, name="import_progress"),
    path("export/", views_export.export, name="export"),
    # the two-person rule: requests, a second person's decision, one download
    path("export/requests/", views_export.export_requests, name="export_requests"),
    path("export/requests/<int:pk>/decide/", views_export.export_decide, name="export_decide"),
    path(
        "export/requests/<int:pk>/download/",
        views_export.export_download,
        name="export_download",
    ),
    path(
        "export/requests/<int:pk>/progress/",
        views_export.export_progress,
        name="export_progress",
    ),
]
