"""Mounted at /hotline/intake/ in the "hotline" namespace."""

from django.urls import path

from . import views_intake as views

urlpatterns = [
    path("", views.intake_log, name="intakes"),
    path("new/", views.intake_start_view, name="intake_start"),
    path("<int:pk>/", views.intake_view, name="intake"),
    path("<int:pk>/done/", views.intake_outcome, name="intake_outcome"),
    path("<int:pk>/assign/", views.intake_assign, name="intake_assign"),
    path("conversations/", views.conversations, name="conversations"),
    path("conversations/<int:pk>/", views.conversation, name="conversation"),
    path("referrals/", views.referrals, name="referrals"),
    path("sandbox-call/", views.sandbox_call, name="sandbox_call"),
    path("sandbox-call/<int:pk>/", views.sandbox_call_step, name="sandbox_call_step"),
]
