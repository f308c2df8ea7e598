"""Tenancy and accounts: the Network (tenant), users, roles as data, memberships, audit."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from amparo.lib.crypto import (
    BlindIndexField,
    EncryptedTextField,
    OwnsDataKey,
    classify,
    email_index,
)
from amparo.lib.crypto.blind import normalize_email
from amparo.lib.labelled import Labelled

LANGUAGE_CHOICES = [(code, name) for code, name in settings.LANGUAGES]


def localized(texts: dict[str, str] | None, language: str | None = None) -> str:
    """Pick the text for the active language from a {"en": …, "es": …} dict of data."""
    if not texts:
        return ""
    lang = (language or get_language() or "en")[:2]
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()), "")


class NamedBySlug(models.Model):
    """A row of data (a role, a state, a kind) named by a slug and a name per language
    ({"en": …, "es": …}): shown in the reader's language, else by its slug. Each model
    declares its own ``slug`` and ``name`` fields (their options differ)."""

    slug: Any
    name: Any

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return localized(self.name) or self.slug


@classify(
    public=["name", "slug", "languages", "hotline_number"], internal=["time_zone", "is_active"]
)
class Network(models.Model):
    """A rapid-response network: the tenant that owns every row with people's data."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("short name"), max_length=50, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="America/New_York")
    languages = models.JSONField(_("languages offered"), default=list)
    # The network's public hotline number, printed on every palm card: not personal.
    hotline_number = models.CharField(_("hotline number"), max_length=20, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("network")
        verbose_name_plural = _("networks")

    def __str__(self) -> str:
        return self.name

    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def local_today(self) -> date:
        """Today's date where the network is (training validity, reminders, reports)."""
        return timezone.localdate(timezone=self.zone())


@classify(public=["slug", "name", "description", "capabilities", "position"])
class Role(NamedBySlug):
    """A role in a network, as data: its names in each language and what it may do."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.JSONField(default=dict)  # {"en": "Coordinator", "es": "Coordinadora"}
    description = models.JSONField(default=dict, blank=True)
    capabilities = models.JSONField(default=list)
    position = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("role")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email_index=email_index(username or ""))

    def find_by_email(self, email: str) -> User | None:
        return self.filter(email_index=email_index(email)).first()

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(email=normalize_email(email), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user


@classify(
    internal=[
        "password",
        "last_login",
        "email_index",
        "language",
        "is_active",
        "date_joined",
        "deactivation_reason",
        "deactivated_by_membership",
    ],
    personal=["email", "display_name"],
)
class User(OwnsDataKey, AbstractBaseUser):
    """A person who logs in. Their email and name are sealed; login looks up the blind index.

    When the account is turned off, ``deactivation_reason`` and
    ``deactivated_by_membership`` say why and through which network's membership, so
    that turning a membership back on in one network can only undo what that network
    did (amparo/accounts/services.py, ``membership_activate``).
    """

    class Deactivation(models.TextChoices):
        NONE = "", _("not turned off")
        #: The membership it was turned off through was its last active network.
        LAST_NETWORK = "last_network", _("its last network ended")
        #: Suspended (unusual reading) through that membership, its last active network.
        SUSPENDED = "suspended", _("suspended")
        #: Turned off as a whole, everywhere (the operator, ``user_deactivate``).
        OPERATOR = "operator", _("turned off by the operator")

    email = EncryptedTextField(_("email"))
    email_index = BlindIndexField(
        source="email", purpose="email", normalize=normalize_email, unique=True
    )
    display_name = EncryptedTextField(_("name"), blank=True, default="")
    language = models.CharField(
        _("preferred language"), max_length=8, choices=LANGUAGE_CHOICES, default="en"
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now, editable=False)
    # Why the account is off (empty while it is on; empty on an inactive account means
    # "not known", treated like the operator's decision). Internal, codes only.
    deactivation_reason = models.CharField(
        max_length=20, choices=Deactivation.choices, blank=True, default=""
    )
    deactivated_by_membership = models.ForeignKey(
        "Membership", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    USERNAME_FIELD = "email_index"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")

    def __str__(self) -> str:
        return self.display_name or _("user %(id)s") % {"id": self.pk}

    def get_username(self) -> str:
        return self.email or ""

    def get_full_name(self) -> str:
        return self.display_name or ""

    def get_short_name(self) -> str:
        return (self.display_name or "").split(" ")[0]


@classify(internal=["user", "roles", "is_active"])
class Membership(Labelled):
    """A user's place in one network, with the roles they hold there."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="memberships")
    roles = models.ManyToManyField(Role, blank=True, related_name="memberships")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "network"], name="one_membership_per_network")
        ]
        verbose_name = _("membership")

    str_label = "membership"

    def capabilities(self) -> frozenset[str]:
        cached = self.__dict__.get("_capabilities")
        if cached is None:
            caps: set[str] = set()
            for role in self.roles.all():
                caps.update(role.capabilities)
            cached = self.__dict__["_capabilities"] = frozenset(caps)
        return cached

    def role_slugs(self) -> list[str]:
        return [role.slug for role in self.roles.all()]


class AuditQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("the audit log is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("the audit log is append-only")


@classify(
    internal=[
        "actor",
        "action",
        "target_type",
        "target_id",
        "fields",
        "note",
        "at",
        "prev_hash",
        "row_hash",
    ]
)
class AuditEvent(models.Model):
    """Who did what to which record, and when. Names of fields only, never their values.

    Append-only: the model refuses updates and deletes, and so does the database
    (triggers added in this app's migrations).
    """

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        DELETE = "delete", _("deleted")
        READ = "read", _("read")
        LOGIN = "login", _("logged in")
        LOGIN_FAILED = "login_failed", _("failed to log in")
        LOGOUT = "logout", _("logged out")
        EXPORT = "export", _("exported")
        KEYS = "keys", _("rotated keys")

    network = models.ForeignKey(
        Network, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_events"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    target_type = models.CharField(max_length=80, blank=True)
    target_id = models.CharField(max_length=40, blank=True)
    fields = models.JSONField(default=list, blank=True)
    note = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    # The hash chain (amparo/accounts/chain.py): each row's keyed hash covers its content
    # and the previous row's hash. Rows written before the chain existed have both empty.
    prev_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    row_hash = models.CharField(max_length=64, blank=True, default="", editable=False)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("the audit log is append-only")


# --- need-to-know ------------------------------------------------------------------------


@classify(
    internal=["user", "kind", "object_id", "granted_by", "expires_at", "revoked_at", "revoked_by"],
    sensitive=["reason"],
)
class Assignment(OwnsDataKey):
    """Need-to-know: ``user`` may open one record (``kind`` + ``object_id``) that their
    role alone would not show them, until ``expires_at`` or until revoked.

    ``kind`` is the record's model label (``"hotline.intake"``), the same string the
    audit log uses for its target: it means the same in every copy of the database
    (content-type ids are rows that differ between databases, e.g. after a restore).
    The services are in ``amparo/accounts/needtoknow.py``.
    """

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="assignments")
    kind = models.CharField(max_length=80)
    object_id = models.PositiveBigIntegerField()
    granted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = EncryptedTextField(_("reason"), blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("until"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("assignment")
        # A user's open assignments of one kind are found through the constraint's index.
        indexes = [models.Index(fields=["kind", "object_id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "object_id"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_open_assignment_per_record",
            )
        ]

    str_label = "assignment"
