"""The coordinator's "Logins" page: the network's accounts, their roles, whether they
can log in, and whether they have set up two-step sign-in.

Reading the list is audited (one event per page shown, with the count); changes go
through the services in ``services.py`` (roles, deactivation), which end the
account's open sessions at once when it loses anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from amparo.twofactor.models import Passkey, TOTPDevice

from .models import Membership, Network, Role

#: Who may open the page and change roles: changing roles can hand out every
#: capability (the coordinator role), so it takes the capability to run the network.
#: Resetting someone's second factor additionally takes members.manage (that view is
#: the two-factor app's).
PAGE_SIZE = 50


@dataclass(frozen=True)
class LoginRow:
    membership: Membership
    role_slugs: frozenset[str]
    has_authenticator: bool
    has_passkey: bool

    @property
    def two_factor(self) -> bool:
        return self.has_authenticator or self.has_passkey

    @property
    def resettable(self) -> bool:
        """Worth a "reset" button: it has factors, or it is waiting for a password (a
        reset whose link was lost or expired can be made again)."""
        return self.two_factor or not self.membership.user.has_usable_password()


def logins_queryset(network: Network) -> QuerySet[Membership]:
    """Every membership of ``network`` (active first), with its user, its roles and
    whether the user has a confirmed authenticator app or a passkey."""
    return (
        Membership.objects.filter(network=network)
        .select_related("user")
        .prefetch_related("roles")
        .annotate(
            has_authenticator=Exists(
                TOTPDevice.objects.filter(user=OuterRef("user_id"), confirmed=True)
            ),
            has_passkey=Exists(Passkey.objects.filter(user=OuterRef("user_id"))),
        )
        .order_by("-is_active", "-user__last_login", "pk")
    )


def login_rows(memberships: list[Membership]) -> list[LoginRow]:
    return [
        LoginRow(
            membership=m,
            role_slugs=frozenset(m.role_slugs()),
            has_authenticator=bool(getattr(m, "has_authenticator", False)),
            has_passkey=bool(getattr(m, "has_passkey", False)),
        )
        for m in memberships
    ]


def assignable_roles() -> list[Role]:
    """The roles a coordinator can give (roles are shared by every network)."""
    return list(Role.objects.order_by("position", "slug"))


def roles_with_capability(capability: str) -> list[Role]:
    return [role for role in assignable_roles() if capability in role.capabilities]
