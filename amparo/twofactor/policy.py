"""Who must pass a second factor, and who has one.

Every account in an active network must: roles are not the only way to people's data
(a committee chair sees members' names through the committee alone; need-to-know and
case teams add more), so asking every member closes them all at once. Responders use
signed magic links without an account; an account with no active network is asked
only if it set a factor up."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from amparo.accounts.models import Membership, User

from .models import Passkey, TOTPDevice


def requires_two_factor(user: User | AnonymousUser | None) -> bool:
    """True when ``user`` has an active membership of an active network."""
    if not isinstance(user, User) or not user.is_authenticated:
        return False
    return Membership.objects.filter(user=user, is_active=True, network__is_active=True).exists()


def has_second_factor(user: User | AnonymousUser | None) -> bool:
    """A confirmed authenticator app or a passkey."""
    if not isinstance(user, User) or not user.is_authenticated:
        return False
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or Passkey.objects.filter(user=user).exists()
    )


def second_factor_asked(user: User | AnonymousUser | None) -> bool:
    """Whether the gate asks this account: when its roles require it, or when it set a factor
    up of its own accord (a factor never asked for protects nothing)."""
    return requires_two_factor(user) or has_second_factor(user)
