"""At /campaigns/ ("campaigns", login): an incident's petition, a case's letters. Public,
by token: a petition's page at /petition/, a case's letters form at /letters/."""

from django.urls import path

from . import views

app_name = "campaigns"

urlpatterns = [
    path("incident/<int:pk>/petition/", views.petition_edit, name="petition"),
    path("incident/<int:pk>/petition.pdf", views.petition_pdf, name="petition_pdf"),
    path("case/<int:pk>/letters/", views.letters_review, name="letters"),
    path("case/<int:pk>/letters.pdf", views.letters_pdf, name="letters_pdf"),
]

petition_urlpatterns = [path("<str:token>/", views.petition_public, name="petition_public")]
letters_urlpatterns = [path("<str:token>/", views.letters_public, name="letters_public")]
