from django.urls import include, path

from . import views, views_calendar

app_name = "people"

urlpatterns = [
    path("", views.person_list, name="list"),
    path("new/", views.person_create_view, name="create"),
    path("<int:pk>/", views.person_detail, name="detail"),
    path("<int:pk>/edit/", views.person_edit_view, name="edit"),
    path("segments/", views.segment_list, name="segments"),
    path("organizations/", views.organization_list, name="organizations"),
    path("organizations/<int:pk>/", views.organization_detail, name="organization"),
    path("segments/<int:pk>/", views.segment_detail, name="segment"),
    path("calendar/<int:pk>/<str:token>.ics", views_calendar.calendar_feed, name="calendar"),
    path("calendar/new-link/", views_calendar.calendar_renew, name="calendar_renew"),
    path("import/", include("amparo.people.urls_import")),
    path("phone-tree/", include("amparo.people.urls_phonetree")),
    path("committees/", include("amparo.people.urls_committees")),
    path("trainings/", include("amparo.people.urls_trainings")),
    path("check-in/", include("amparo.people.urls_checkin")),
    path("organizing/", include("amparo.people.urls_record")),
    path("places/", include("amparo.people.urls_places")),
]
