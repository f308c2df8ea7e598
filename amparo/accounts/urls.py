from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, reverse_lazy
from django.views.decorators.cache import never_cache

from .forms import LoginForm

# login_not_required is applied here: these pages are on the public allowlist.
urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm,
            template_name="accounts/login.html",
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # "password/reset/" itself (bounded, its mail through the outbox) is in core/urls.py:
    # amparo/core/password_reset.py
    path(
        "password/reset/sent/",
        login_not_required(
            auth_views.PasswordResetDoneView.as_view(
                template_name="accounts/password_reset_done.html"
            )
        ),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        login_not_required(
            never_cache(
                auth_views.PasswordResetConfirmView.as_view(
                    template_name="accounts/password_reset_confirm.html",
                    success_url=reverse_lazy("password_reset_complete"),
                )
            )
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        login_not_required(
            auth_views.PasswordResetCompleteView.as_view(
                template_name="accounts/password_reset_complete.html"
            )
        ),
        name="password_reset_complete",
    ),
    # the coordinator's page of unusual reading (audit of reads)
    path("audit/", include("amparo.accounts.urls_audit")),
    # the coordinator's page of the network's accounts (roles, deactivation, two factors)
    path("logins/", include("amparo.accounts.urls_logins")),
    path("two-factor/", include("amparo.twofactor.urls")),
]
