"""Mounted at /campaigns/ in the "campaigns" namespace (login): the petition of an
incident (by the incident's id) and the letters of support of a case (by the case's)."""

from django.urls import path

from . import views

app_name = "campaigns"

urlpatterns = [
    path("incident/<int:pk>/petition/", views.petition_edit, name="petition"),
    path("incident/<int:pk>/petition/delivered/", views.petition_deliver, name="petition_deliver"),
    path("incident/<int:pk>/petition.pdf", views.petition_pdf, name="petition_pdf"),
    path("case/<int:pk>/letters/link/", views.letters_link, name="letters_link"),
    path("case/<int:pk>/letters/<int:letter_pk>/", views.letter_review, name="letter_review"),
    path("case/<int:pk>/letters.pdf", views.letters_pdf, name="letters_pdf"),
]
