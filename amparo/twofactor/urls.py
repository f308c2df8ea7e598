from django.urls import include, path

from . import views

app_name = "twofactor"

urlpatterns = [
    path("", views.manage, name="manage"),
    path("verify/", views.verify, name="verify"),
    path("setup/", views.setup, name="setup"),
    path("recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("remove/<str:kind>/<int:pk>/", views.remove, name="remove"),
    path("reset/<int:user_id>/", views.reset, name="reset"),
    # passkeys (WebAuthn): amparo/twofactor/urls_passkey.py
    path("passkeys/", include("amparo.twofactor.urls_passkey")),
]
