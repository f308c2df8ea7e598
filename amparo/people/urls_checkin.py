from django.urls import path

from . import views_checkin as views
from . import views_events

urlpatterns = [
    path("", views.activities, name="activities"),
    path("new/", views.activity_create, name="activity_new"),
    path("<int:pk>/", views.checkin, name="checkin"),
    path("<int:pk>/in/", views.checkin_person, name="checkin_person"),
    path("<int:pk>/undo/", views.checkin_undo, name="checkin_undo"),
    path("<int:pk>/rsvp/", views_events.event_rsvp, name="event_rsvp"),
    path("<int:pk>/invite/", views_events.event_invite, name="event_invite"),
]
