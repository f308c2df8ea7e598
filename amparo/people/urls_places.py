"""Towns and ZIP codes of the network, included at /people/places/."""

from django.urls import path

from . import views_places as views

urlpatterns = [
    path("", views.places, name="places"),
    path("add/", views.place_add, name="place_add"),
    path("<int:pk>/", views.place_edit, name="place_edit"),
    path("<int:pk>/delete/", views.place_remove, name="place_delete"),
]
