"""Public volunteer sign-up, mounted at /join/ without a namespace (no login)."""

from django.urls import path

from . import views_signup

urlpatterns = [
    path("<slug:network_slug>/", views_signup.signup, name="signup"),
    path("<slug:network_slug>/thanks/", views_signup.signup_done, name="signup_done"),
    path(
        "<slug:network_slug>/confirm/<str:token>/",
        views_signup.signup_confirm_view,
        name="signup_confirm",
    ),
]
