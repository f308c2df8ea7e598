from django.urls import path

from . import views_trainings as views

urlpatterns = [
    path("", views.trainings, name="trainings"),
    path("new/", views.session_create, name="training_new"),
    path("<int:pk>/", views.session_detail, name="training_session"),
    path("<int:pk>/sign-up/", views.signup_create, name="training_signup"),
    path("sign-ups/<int:pk>/", views.signup_status, name="training_attendance"),
]
