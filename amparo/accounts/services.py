"""Writes for tenancy and accounts. Views and commands call these, nothing else writes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.contrib.sessions.models import Session
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.module_loading import import_string

from amparo.lib.phones import normalize_phone

from .audit import audit_record
from .models import AuditEvent, Membership, Network, Role, User
from .roles import Cap

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}

#: What each new network is given by the other apps (default roles, committees…).
NETWORK_SETUP = [
    "amparo.people.defaults.install_defaults",
    "amparo.cases.defaults.install_defaults",
    "amparo.audits.defaults.install_defaults",
]


@transaction.atomic
def network_create(
    *,
    slug: str,
    name: str,
    time_zone: str = "America/New_York",
    languages: Iterable[str] = ("en", "es"),
    hotline_number: str = "",
    actor: User | None = None,
) -> Network:
    langs = [code for code in languages if code in LANGUAGE_CODES] or ["en"]
    network = Network.objects.create(
        slug=slug,
        name=name,
        time_zone=time_zone,
        languages=langs,
        hotline_number=normalize_phone(hotline_number) if hotline_number else "",
    )
    for path in NETWORK_SETUP:
        import_string(path)(network)
    audit_record(action=AuditEvent.Action.CREATE, actor=actor, network=network, obj=network)
    return network


@transaction.atomic
def user_create(
    *,
    email: str,
    display_name: str = "",
    language: str = "en",
    password: str | None = None,
    actor: User | None = None,
) -> User:
    user = User.objects.create_user(
        email=email,
        password=password,
        display_name=display_name,
        language=language if language in LANGUAGE_CODES else "en",
    )
    audit_record(action=AuditEvent.Action.CREATE, actor=actor, obj=user)
    return user


@transaction.atomic
def membership_grant(
    *, user: User, network: Network, roles: Iterable[str], actor: User | None = None
) -> Membership:
    """Give ``user`` the named roles in ``network`` (adding to any they hold)."""
    slugs = list(roles)
    found = list(Role.objects.filter(slug__in=slugs))
    missing = set(slugs) - {role.slug for role in found}
    if missing:
        raise ValueError(f"unknown roles: {', '.join(sorted(missing))}")
    membership, _created = Membership.objects.get_or_create(user=user, network=network)
    membership.roles.add(*found)
    audit_record(
        action=AuditEvent.Action.UPDATE,
        actor=actor,
        network=network,
        obj=membership,
        fields=["roles"],
        note="granted " + ",".join(sorted(slugs)),
    )
    return membership


def user_set_language(*, user: User, language: str) -> bool:
    """Remember a user's language; unknown codes are ignored. True if it changed."""
    if language not in LANGUAGE_CODES or user.language == language:
        return False
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
    return True


class _NeverValidToken(PasswordResetTokenGenerator):
    """Tokens shaped like a password link's that the password page never accepts."""

    key_salt = "amparo.accounts.services.login_add.existing"


def password_set_link(*, user: User, usable: bool = True) -> str:
    """A one-time link (valid PASSWORD_RESET_TIMEOUT) where ``user`` sets a password.
    ``usable=False``: the same-looking link, which sets nothing (see :func:`login_add`)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = (default_token_generator if usable else _NeverValidToken()).make_token(user)
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return settings.BASE_URL + path


@transaction.atomic
def network_bootstrap(
    *, slug: str, name: str, coordinator_email: str, **network_fields: Any
) -> tuple[Network, User, str]:
    """A real deployment's first step: a network, its first coordinator, a password link."""
    network = network_create(slug=slug, name=name, **network_fields)
    user = User.objects.find_by_email(coordinator_email)
    if user is None:
        user = user_create(email=coordinator_email)
    membership_grant(user=user, network=network, roles=["coordinator"])
    return network, user, password_set_link(user=user)


def password_link_days() -> int:
    """How many days a :func:`password_set_link` stays valid, as the person is told."""
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)


@transaction.atomic
def login_add(
    *,
    network: Network,
    email: str,
    roles: Iterable[str],
    language: str,
    by: User | None,
    existing: bool = False,
) -> tuple[Membership, str]:
    """Let ``email`` log in to ``network`` with ``roles`` and return the membership and a
    link to give the person. A coordinator (the web page) only creates new accounts: an
    email the server already has is refused, since attaching it would give this network
    power over someone else's account. ``existing=True`` (the operator's ``add-login``
    command) attaches such an account; its link sets no password. ValidationError if the
    email already has a membership here, is refused, or no role is chosen."""
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError
    from django.utils.translation import gettext as _

    refused = ValidationError(
        _(
            "This email address cannot be added from here. Whoever runs the Amparo server "
            "can add it with the command amparo add-login."
        ),
        code="existing",
    )
    slugs = sorted(set(roles))
    if not slugs:
        raise ValidationError(_("Choose at least one role."), code="no_role")
    _lock_network(network)
    user = User.objects.find_by_email(email)
    if user is not None and Membership.objects.filter(user=user, network=network).exists():
        raise ValidationError(
            _(
                "This email address already has a login in this network: change its roles on the list of logins."
            ),
            code="member",
        )
    if user is not None and not existing:
        raise refused
    created = user is None
    if user is None:
        try:
            with transaction.atomic():  # a concurrent add of the same email wins
                user = user_create(email=email, language=language, actor=by)
        except IntegrityError:
            raise refused from None
    membership = membership_grant(user=user, network=network, roles=slugs, actor=by)
    if not user.is_active and account_restorable_by(_lock_user(user), membership):
        _switch_user(user)  # off only for want of a network: this one gives it one
    audit_record(
        action=AuditEvent.Action.CREATE,
        actor=by,
        network=network,
        obj=membership,
        fields=["user", "roles"],
        note=f"login added roles={','.join(slugs)}",
    )
    return membership, password_set_link(user=user, usable=created)


# --- roles and deactivation, with immediate effect -----------------------------------------


def _lock_network(network: Network) -> None:
    """Serialize role changes within one network (PostgreSQL row lock; on SQLite every
    transaction already begins with the write lock), so two coordinators removing each
    other at once cannot leave the network with nobody to manage it."""
    list(Network.objects.select_for_update().filter(pk=network.pk).values_list("pk"))


def _capabilities(roles: Iterable[Role]) -> frozenset[str]:
    caps: set[str] = set()
    for role in roles:
        caps.update(role.capabilities)
    return frozenset(caps)


def _other_manager_exists(
    network: Network,
    *,
    except_membership: Membership | None = None,
    except_user: User | None = None,
) -> bool:
    others = Membership.objects.filter(
        network=network, is_active=True, user__is_active=True
    ).prefetch_related("roles")
    if except_membership is not None:
        others = others.exclude(pk=except_membership.pk)
    if except_user is not None:
        others = others.exclude(user=except_user)
    return any(Cap.NETWORK_MANAGE in m.capabilities() for m in others)


def _refuse_last_manager() -> None:
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    raise ValidationError(
        _(
            "This is the last active account that can manage the network. Give that role "
            "to another account first, so the network is never left without a coordinator."
        ),
        code="last_manager",
    )


@transaction.atomic
def membership_set_roles(
    *, membership: Membership, roles: Iterable[Role | str], by: User | None
) -> int:
    """Give ``membership`` exactly ``roles`` (Role objects or slugs). If a capability is
    lost, every open session of that user ends at once. Refuses (ValidationError) to
    remove the last active holder of network.manage. Returns sessions revoked."""
    slugs = sorted({role.slug if isinstance(role, Role) else str(role) for role in roles})
    found = list(Role.objects.filter(slug__in=slugs))
    missing = set(slugs) - {role.slug for role in found}
    if missing:
        raise ValueError(f"unknown roles: {', '.join(sorted(missing))}")
    _lock_network(membership.network)
    before = _capabilities(Role.objects.filter(memberships=membership))
    after = _capabilities(found)
    if (
        membership.is_active
        and Cap.NETWORK_MANAGE in before
        and Cap.NETWORK_MANAGE not in after
        and not _other_manager_exists(membership.network, except_membership=membership)
    ):
        _refuse_last_manager()
    membership.roles.set(found)
    membership.__dict__.pop("_capabilities", None)
    lost = before - after
    revoked = sessions_revoke(membership.user) if lost else 0
    audit_record(
        action=AuditEvent.Action.UPDATE,
        actor=by,
        network=membership.network,
        obj=membership,
        fields=["roles"],
        note=f"roles={','.join(slugs) or '-'} lost={len(lost)} gained={len(after - before)} "
        f"sessions={revoked}",
    )
    return revoked


#: what turning an account off or on changes (a membership: its ``is_active`` only)
_SWITCH_FIELDS = ["is_active", "deactivation_reason", "deactivated_by_membership"]


def _lock_user(user: User) -> User:
    """Lock ``user``'s row for the rest of the transaction and bring the fields that say
    whether (and why) it is off up to date on ``user``. Every service here takes the
    network lock first and the user's second, so two networks acting on one person
    at the same time (a suspension in B, a reactivation in A) happen one after the
    other, each seeing what the other wrote."""
    fresh = User.objects.select_for_update().only(*_SWITCH_FIELDS).get(pk=user.pk)
    user.is_active = fresh.is_active
    user.deactivation_reason = fresh.deactivation_reason
    user.deactivated_by_membership_id = fresh.deactivated_by_membership_id
    return user


def _switch_user(user: User, *, reason: str = "", membership: Membership | None = None) -> None:
    """Turn ``user`` off for ``reason`` (through ``membership``, if one), or on (no reason)."""
    values = {
        "is_active": not reason,
        "deactivation_reason": reason,
        "deactivated_by_membership_id": membership.pk if membership is not None else None,
    }
    User.objects.filter(pk=user.pk).update(**values)
    for name, value in values.items():
        setattr(user, name, value)


def _audit_switch(
    *, by: User | None, obj: User | Membership, note: str, network: Network | None = None
) -> None:
    fields = _SWITCH_FIELDS if isinstance(obj, User) else ["is_active"]
    audit_record(
        action=AuditEvent.Action.UPDATE,
        actor=by,
        network=network,
        obj=obj,
        fields=fields,
        note=note,
    )


@transaction.atomic
def membership_deactivate(
    *, membership: Membership, by: User | None, suspend: bool = False, code: str = ""
) -> int:
    """End ``membership``, in one transaction: the membership stops; if it was the
    user's last active network, the account itself is turned off (no log-in at all),
    with the reason recorded; every open session of the user ends at once. The user
    keeps any other network. Refuses (ValidationError) to end the membership of the
    network's last active manager, and then nothing changes.

    ``suspend=True`` is the suspension for unusual reading (``reading.account_suspend``,
    ``code`` a short reason code for the audit log): an account turned off by a
    suspension can only be turned back on through this same membership (a coordinator
    of this network) or by the operator — not by another network reactivating its own
    membership. Suspending a membership that is already off still ends every session
    and, if the account is off only because it has no network, marks it suspended.

    Returns the number of sessions revoked."""
    reason = User.Deactivation.SUSPENDED if suspend else User.Deactivation.LAST_NETWORK
    _lock_network(membership.network)
    user = _lock_user(membership.user)
    membership.refresh_from_db(fields=["is_active"])
    was_active = membership.is_active
    if not was_active and not suspend:
        return 0
    if (
        was_active
        and _holds_network_manage(membership)
        and not _other_manager_exists(membership.network, except_membership=membership)
    ):
        _refuse_last_manager()
    if was_active:
        membership.is_active = False
        membership.save(update_fields=["is_active"])
    last_network = not Membership.objects.filter(user=user, is_active=True).exists()
    user_off = False
    if last_network and user.is_active:
        _switch_user(user, reason=reason, membership=membership)
        user_off = True
    elif (
        last_network
        and suspend
        and not user.is_active
        and user.deactivation_reason == User.Deactivation.LAST_NETWORK
    ):
        # off only for want of a network: the suspension makes it a decision to keep
        _switch_user(user, reason=reason, membership=membership)
        user_off = True
    revoked = sessions_revoke(user)
    action = f"suspended{':' + code if code else ''} user={user.pk}" if suspend else "deactivated"
    _audit_switch(
        by=by,
        obj=membership,
        network=membership.network,
        note=f"{action} user_deactivated={int(user_off)} sessions={revoked}",
    )
    if user_off:
        _audit_switch(
            by=by, obj=user, network=membership.network, note=f"deactivated reason={reason.value}"
        )
    return revoked


def account_restorable_by(user: User, membership: Membership) -> bool:
    """May turning ``membership`` back on also turn ``user``'s account back on?

    Only if the account is off for want of a network (any network may give it one
    again: the network that ended its last membership decided about itself, not about
    the person), or if it was suspended through this very membership (a coordinator
    of the network that suspended it lifts the suspension). An account suspended in
    another network, turned off by the operator, or off for a reason not recorded
    stays off."""
    if user.is_active:
        return False
    if user.deactivation_reason == User.Deactivation.LAST_NETWORK:
        return True
    return (
        user.deactivation_reason == User.Deactivation.SUSPENDED
        and user.deactivated_by_membership_id == membership.pk
    )


@transaction.atomic
def membership_activate(*, membership: Membership, by: User | None) -> bool:
    """Undo :func:`membership_deactivate`: the membership is on again. The account is
    turned back on only when :func:`account_restorable_by` allows it; otherwise it
    stays off (``membership.user.is_active`` tells the caller, and
    ``membership.user.deactivation_reason`` why). True if the membership changed."""
    _lock_network(membership.network)
    user = _lock_user(membership.user)
    membership.refresh_from_db(fields=["is_active"])
    if membership.is_active:
        return False
    membership.is_active = True
    membership.save(update_fields=["is_active"])
    reactivated = account_restorable_by(user, membership)
    if reactivated:
        _switch_user(user)
    _audit_switch(
        by=by,
        obj=membership,
        network=membership.network,
        note=f"reactivated user_reactivated={int(reactivated)} user_active={int(user.is_active)}",
    )
    if reactivated:
        _audit_switch(by=by, obj=user, network=membership.network, note="reactivated")
    return True


def _holds_network_manage(membership: Membership) -> bool:
    return Cap.NETWORK_MANAGE in _capabilities(Role.objects.filter(memberships=membership))


@transaction.atomic
def user_deactivate(*, user: User, by: User | None) -> int:
    """Turn the account off everywhere (the operator's decision): it cannot log in, and
    every open session ends at once. No network can turn it back on by reactivating a
    membership; only :func:`user_reactivate` does. Refuses if it is the last manager
    of any network it is active in. Returns sessions revoked."""
    memberships = list(
        Membership.objects.filter(user=user, is_active=True)
        .select_related("network")
        .order_by("network_id")
    )
    for membership in memberships:
        _lock_network(membership.network)
    _lock_user(user)
    for membership in memberships:
        if _holds_network_manage(membership) and not _other_manager_exists(
            membership.network, except_user=user
        ):
            _refuse_last_manager()
    _switch_user(user, reason=User.Deactivation.OPERATOR)
    revoked = sessions_revoke(user)
    _audit_switch(
        by=by,
        obj=user,
        note=f"deactivated reason={User.Deactivation.OPERATOR.value} sessions={revoked}",
    )
    return revoked


@transaction.atomic
def user_reactivate(*, user: User, by: User | None = None) -> bool:
    """The operator turns an account back on, whatever turned it off (``amparo shell``:
    ``user_reactivate(user=User.objects.find_by_email(...))``). Its memberships stay
    as they are. True if it changed."""
    _lock_user(user)
    if user.is_active:
        return False
    was = user.deactivation_reason or "unknown"
    _switch_user(user)
    _audit_switch(by=by, obj=user, note=f"reactivated was={was}")
    return True


def sessions_revoke(user: User) -> int:
    """Log ``user`` out everywhere now: delete every stored session that belongs to them.

    Not per network, and it cannot be: a session is one login on one browser for all of
    the user's networks (the one shown is only a choice kept in it, NetworkMiddleware),
    so ending it for network A ends it for B as well. What A takes away holds anyway
    without it: the membership and its roles are read again on every request. So the
    pages that do this say it (logins.html: "of every network they use")."""
    mine: list[Any] = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            mine.append(session.pk)
    return Session.objects.filter(pk__in=mine).delete()[0] if mine else 0
