"""Writes for tenancy and accounts. Views and commands call these, nothing else writes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.module_loading import import_string

from amparo.lib.phones import normalize_phone

from .audit import audit_record
from .models import AuditEvent, Membership, Network, Role, User

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}

#: What each new network is given by the other apps (default roles, committees…).
NETWORK_SETUP = ["amparo.people.defaults.install_defaults"]


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


def password_set_link(*, user: User) -> str:
    """A one-time link (valid PASSWORD_RESET_TIMEOUT) where ``user`` sets a password."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
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
