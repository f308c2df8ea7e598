from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from amparo.twofactor.services import password_reset_held

from .models import User, localized
from .roles import ROLE_MARKS


class LoginForm(AuthenticationForm):
    """Email and password. The email is never echoed into logs or URLs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"] = forms.EmailField(
            label=_("Email"),
            max_length=254,
            widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
        )
        self.fields["password"].label = _("Password")

    error_messages = {
        "invalid_login": _("That email and password do not match an account."),
        "inactive": _("This account is turned off."),
    }


class ResetForm(PasswordResetForm):
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def get_users(self, email: str) -> Any:
        # Includes users without a password yet: `amparo create-network` makes those.
        # Not an account whose two-step sign-in a coordinator reset: it sets its new
        # password only through the link the coordinator hands over (the mailbox may be
        # open on the lost phone).

        user = User.objects.find_by_email(email)
        if user is not None and user.is_active and not password_reset_held(user):
            yield user


def role_choice_label(role: Any) -> str:
    """A role's name, its one-line description, and marks for what matters most."""
    marks = [str(text) for cap, text in ROLE_MARKS if cap in role.capabilities]
    return format_html(
        '<strong>{}</strong> <span class="help">{}</span>{}',
        role.label,
        localized(role.description),
        format_html_join("", ' <span class="badge">{}</span>', ((m,) for m in marks)),
    )


class LoginAddForm(forms.Form):
    """The coordinator's "Add a login": an email, its roles, its language."""

    email = forms.EmailField(
        label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one role.")},
    )
    language = forms.ChoiceField(label=_("Language of the account"))

    def __init__(self, *args: Any, roles: list[Any], languages: list[tuple[str, str]], **kw: Any):
        super().__init__(*args, **kw)
        cast(forms.ChoiceField, self.fields["roles"]).choices = [
            (r.slug, role_choice_label(r)) for r in roles
        ]
        cast(forms.ChoiceField, self.fields["language"]).choices = languages
