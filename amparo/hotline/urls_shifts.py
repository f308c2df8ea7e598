from django.urls import path

from amparo.people.views_calendar import calendar_feed

from . import views_shifts as views

# Mounted at /hotline/shifts/ in the "hotline" namespace.
urlpatterns = [
    path("", views.shifts, name="shifts"),
    path("<int:pk>/", views.shift_detail, name="shift"),
    path("<int:pk>/assign/", views.shift_assign, name="shift_assign"),
    path("assignments/<int:pk>/remove/", views.shift_unassign, name="shift_unassign"),
    path("assignments/<int:pk>/swap/", views.swap_request, name="swap_request"),
    path("rotations/", views.rotations, name="rotations"),
    path("rotations/new/", views.rotation_new, name="rotation_new"),
    path("rotations/<int:pk>/", views.rotation_edit, name="rotation_edit"),
    path("rotations/generate/", views.generate, name="shifts_generate"),
    path("coverage/", views.coverage, name="coverage"),
    path("now/", views.on_now, name="on_now"),
    path("mine/", views.mine, name="mine"),
    path("swaps/<int:pk>/", views.swap, name="swap"),
    path("swaps/<int:pk>/cancel/", views.swap_cancel, name="swap_cancel"),
    # the first feed's address: links handed out before keep working
    path("feed/<int:pk>/<str:token>.ics", calendar_feed, name="ical"),
]
