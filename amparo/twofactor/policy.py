"""Who must pass a second factor, and who has one.

Every role that grants any capability at all sees people's data beyond the person's
own alerts: a coordinator sees every member, a dispatcher the reports and the
responders near them, the hotline the callers, legal the cases, a committee member
their committee's check-ins, a fund approver the families who asked for help. Those
accounts need two factors. Responders answer their own alerts through signed magic
links without an account, so nothing here slows them down.

The rule is derived from capabilities, never from role names: a network that renames a
role or makes a new one is covered the moment that role can do anything.
"""

from __future__ import annotations

from typing import Any

from amparo.accounts.models import Role

from .models import Passkey, TOTPDevice


def requires_two_factor(user: Any) -> bool:
    """True when ``user`` holds, through an active membership of an active network, a
    role that grants any capability."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    roles = Role.objects.filter(
        memberships__user=user,
        memberships__is_active=True,
        memberships__network__is_active=True,
    ).values_list("capabilities", flat=True)
    return any(bool(capabilities) for capabilities in roles)


def has_second_factor(user: Any) -> bool:
    """A confirmed authenticator app or a passkey."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or Passkey.objects.filter(user=user).exists()
    )


def second_factor_asked(user: Any) -> bool:
    """Whether the gate asks this account for a second factor: when its roles require
    one, and also when the person set one up of their own accord (a factor that is
    never asked for protects nothing)."""
    return requires_two_factor(user) or has_second_factor(user)
