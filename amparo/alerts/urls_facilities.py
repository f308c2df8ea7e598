from django.urls import path

from . import views_facilities

urlpatterns = [
    path("", views_facilities.facilities, name="facilities"),
    path("new/", views_facilities.facility, name="facility_new"),
    path("<int:pk>/", views_facilities.facility, name="facility"),
]
