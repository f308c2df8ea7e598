from django.urls import path

from . import views_audit as views

app_name = "audit"

urlpatterns = [
    path("reading/", views.unusual_reading, name="unusual_reading"),
    path("reading/<int:membership_id>/suspend/", views.suspend, name="suspend"),
]
