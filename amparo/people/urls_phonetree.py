from django.urls import path

from . import views_phonetree as views

urlpatterns = [
    path("", views.phonetree, name="phonetree"),
]
