"""Mounted at /hotline/ in the "hotline" namespace: the call log and call pages."""

from django.urls import path

from . import views_calls as views

urlpatterns = [
    path("calls/", views.calls, name="calls"),
    path("calls/<int:pk>/", views.call_view, name="call"),
    path("calls/<int:pk>/voicemail/", views.call_voicemail, name="call_voicemail"),
    path("calls/<int:pk>/called-back/", views.call_called_back, name="call_called_back"),
]
