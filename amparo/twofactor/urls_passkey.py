"""Passkey endpoints, included by amparo/twofactor/urls.py at
/accounts/two-factor/passkeys/ inside the ``twofactor`` namespace."""

from django.urls import path

from . import views_passkey

urlpatterns = [
    path("register/options/", views_passkey.register_options, name="passkey_register_options"),
    path("register/", views_passkey.register, name="passkey_register"),
    path(
        "authenticate/options/",
        views_passkey.authenticate_options,
        name="passkey_authenticate_options",
    ),
    path("authenticate/", views_passkey.authenticate, name="passkey_authenticate"),
]
