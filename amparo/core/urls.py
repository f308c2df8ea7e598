from django.contrib.auth.decorators import login_not_required
from django.urls import path

from . import views, views_panic
from .password_reset import ResetView

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("network/switch/", views.switch_network, name="switch_network"),
    # the coordinator's panic wipe (two factors, typed confirmation): views_panic.py
    path("panic/", views_panic.panic, name="panic"),
    # "forgot password" (public): bounded, its mail through the outbox (password_reset.py)
    path(
        "accounts/password/reset/", login_not_required(ResetView.as_view()), name="password_reset"
    ),
]
