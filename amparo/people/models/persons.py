"""Persons: roles, places, the person with their phones, the areas they cover and the
coarse cells those reach.

Names, phones, emails and precise points are ``personal`` and sealed with the
person's own data key; notes are ``sensitive``. Language, roles, coarse areas (a town,
an h3 cell at resolution 7, ~5 km²) and training dates stay clear so that the
dispatcher's filters run in the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import LANGUAGE_CHOICES, NamedBySlug, Network, User
from amparo.lib.crypto import (
    BlindIndexField,
    EncryptedJSONField,
    EncryptedTextField,
    NameTokensField,
    OwnsDataKey,
    classify,
)
from amparo.lib.crypto.blind import fold, normalize_email
from amparo.lib.labelled import Labelled

if TYPE_CHECKING:
    from .trainings import TrainingType

CHANNELS = ["sms", "voice", "email", "telegram", "signal"]
CHANNEL_CHOICES = [
    ("sms", _("Text message")),
    ("voice", _("Phone call")),
    ("email", _("Email")),
    ("telegram", _("Telegram")),
    ("signal", _("Signal")),
]


# --- roles, places ------------------------------------------------------------------


@classify(public=["network", "slug", "name", "position", "required_trainings"])
class PersonRole(NamedBySlug):
    """A role a person plays in the network (rapid responder, driver…), as data.

    ``required_trainings``: a person counts as available for this role only with a
    valid training of each listed type (the rule as data, editable per network).
    """

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="person_roles")
    slug = models.SlugField(max_length=40)
    name = models.JSONField(default=dict)
    position = models.PositiveSmallIntegerField(default=100)
    required_trainings: models.ManyToManyField[TrainingType, Any] = models.ManyToManyField(
        "TrainingType", blank=True, related_name="required_by"
    )

    class Meta:
        ordering = ["position", "slug"]
        constraints = [models.UniqueConstraint(fields=["network", "slug"], name="person_role_slug")]
        verbose_name = _("role")


@classify(
    public=["network", "kind", "name", "name_folded", "postal_code", "h3_cell"],
    internal=["latitude", "longitude"],
)
class Place(models.Model):
    """A town or ZIP code people can cover: public geography, never a person's address."""

    class Kind(models.TextChoices):
        TOWN = "town", _("town")
        ZIP = "zip", _("ZIP code")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="places")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.TOWN)
    name = models.CharField(max_length=120)
    name_folded = models.CharField(max_length=120, db_index=True, editable=False)
    postal_code = models.CharField(max_length=10, blank=True)
    # The town's centroid: public geography (not where anyone lives).
    latitude = models.FloatField()
    longitude = models.FloatField()
    h3_cell = models.CharField(max_length=16, db_index=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["network", "kind", "name_folded"], name="place_unique")
        ]
        verbose_name = _("place")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name_folded = fold(self.name).strip()
        super().save(*args, **kwargs)

    @classmethod
    def choices(cls, network: Network) -> models.QuerySet[Place]:
        """The network's places for a list to pick from, one entry per town: a ZIP code
        beside its town ("01040 Holyoke" and "Holyoke", places_add_zips' names) is left
        out; a ZIP code whose town is not there stays. One query, its test written out:
        every view and post of the public forms asks, and Django compiling a subquery
        cost ~1 ms of CPU where running it costs 0.1 (issue 16). Not for a subquery:
        the raw test names the outer table, which Django would alias there."""
        table = cls._meta.db_table
        beside = RawSQL(  # noqa: S611 - the model's table, values bound
            f'EXISTS (SELECT 1 FROM "{table}" town WHERE town.network_id = "{table}".network_id '  # noqa: S608
            f'AND town.kind = %s AND "{table}".name_folded = '
            f"\"{table}\".postal_code || ' ' || town.name_folded)",
            [cls.Kind.TOWN.value],
            output_field=models.BooleanField(),
        )
        return cls.objects.filter(network=network).exclude(Q(kind=cls.Kind.ZIP) & Q(beside))


# --- persons ------------------------------------------------------------------------


class PersonQuerySet(models.QuerySet["Person"]):
    def active(self) -> PersonQuerySet:
        return self.exclude(status__in=[Person.Status.INACTIVE, Person.Status.REMOVED])

    def confirmed(self) -> PersonQuerySet:
        """Active people who finished joining: not a sign-up that never confirmed."""
        return self.active().exclude(status=Person.Status.SIGNED_UP)


@classify(
    internal=[
        "name_tokens",
        "email_index",
        "language",
        "languages_spoken",
        "roles",
        "skills",
        "weekly_availability",
        "available_now",
        "available_now_changed_at",
        "channel_order",
        "opted_out_channels",
        "quiet_start",
        "quiet_end",
        "consent_at",
        "consent_method",
        "consent_version",
        "opted_out_at",
        "reach_sms",
        "reach_voice",
        "reach_email",
        "status",
        "status_changed_at",
        "source",
        "user",
        "updated_at",
    ],
    personal=["name", "email"],
    sensitive=["notes"],
)
class Person(OwnsDataKey):
    """Someone in the network: a member, a responder, a volunteer who just signed up."""

    class Status(models.TextChoices):
        SIGNED_UP = "signed_up", _("signed up")
        CONFIRMED = "confirmed", _("confirmed")
        ORIENTED = "oriented", _("oriented")
        TRAINED = "trained", _("trained")
        ACTIVE = "active", _("active")
        INACTIVE = "inactive", _("inactive")
        REMOVED = "removed", _("removed")

    PIPELINE = ["signed_up", "confirmed", "oriented", "trained", "active"]

    class Source(models.TextChoices):
        MANUAL = "manual", _("entered by hand")
        IMPORT = "import", _("imported")
        SIGNUP = "signup", _("public sign-up")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="people")
    name = EncryptedTextField(_("name"))
    name_tokens = NameTokensField(source="name")
    email = EncryptedTextField(_("email"), blank=True, default="")
    email_index = BlindIndexField(
        source="email", purpose="email", normalize=normalize_email, null=True, blank=True
    )
    language = models.CharField(
        _("preferred language"), max_length=8, choices=LANGUAGE_CHOICES, default="es"
    )
    # Every language spoken, the preferred one included, as " es en " (space-padded so a
    # `contains " en "` filter works the same on SQLite and PostgreSQL).
    languages_spoken = models.CharField(max_length=60, default="", blank=True)
    roles = models.ManyToManyField(PersonRole, blank=True, related_name="people")
    skills = models.JSONField(default=list, blank=True)
    # {"mon": [["18:00", "22:00"]], …} in the network's time zone
    weekly_availability = models.JSONField(default=dict, blank=True)
    available_now = models.BooleanField(_("available now"), default=False)
    available_now_changed_at = models.DateTimeField(null=True, blank=True)
    channel_order = models.JSONField(default=list, blank=True)  # preferred first
    opted_out_channels = models.CharField(max_length=60, default="", blank=True)  # " sms email "
    quiet_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    consent_at = models.DateTimeField(null=True, blank=True)
    consent_method = models.CharField(max_length=40, blank=True)
    consent_version = models.CharField(max_length=20, blank=True)
    opted_out_at = models.DateTimeField(null=True, blank=True)  # opted out of everything
    # Derived (people/reach.py, the one place): a live phone taking texts / calls, an
    # email, and no opt-out of that channel nor of everything. Never time-dependent.
    reach_sms = models.BooleanField(default=False, editable=False)
    reach_voice = models.BooleanField(default=False, editable=False)
    reach_email = models.BooleanField(default=False, editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SIGNED_UP)
    status_changed_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    notes = EncryptedTextField(_("notes"), blank=True, default="")
    user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="person_records"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["network", "status"]),
            models.Index(fields=["network", "language"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "email_index"],
                condition=Q(email_index__isnull=False),
                name="person_unique_email",
            )
        ]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.name or _("person %(id)s") % {"id": self.pk}

    def speaks(self) -> list[str]:
        others = [c for c in self.languages_spoken.split() if c != self.language]
        return [self.language, *others]

    def set_languages(self, preferred: str, others: list[str] | tuple[str, ...] = ()) -> None:
        self.language = preferred
        spoken = [preferred, *[c for c in others if c and c != preferred]]
        self.languages_spoken = " " + " ".join(dict.fromkeys(spoken)) + " "

    def opted_out_of(self) -> list[str]:
        return self.opted_out_channels.split()

    def reachable_channels(self) -> list[str]:
        """Channels we may use for this person, preferred first; empty if opted out."""
        if self.opted_out_at:
            return []
        order = [c for c in self.channel_order if c in CHANNELS] or ["sms", "voice", "email"]
        return [c for c in order if c not in self.opted_out_of()]

    def address_on(self, channel: str) -> str:
        """Where to reach them on a channel, or "": their first live phone that takes it
        (primary first; prefetch ``phones`` when asking for many people), their email."""
        if channel in ("sms", "voice"):
            flag = "sms_ok" if channel == "sms" else "voice_ok"
            live = [p for p in self.phones.all() if p.dead_at is None and getattr(p, flag)]
            return str(live[0].number) if live else ""
        return str(self.email or "") if channel == "email" else ""


@classify(
    internal=[
        "person",
        "number_index",
        "label",
        "is_primary",
        "sms_ok",
        "voice_ok",
        "unreachable_at",
        "dead_at",
    ],
    personal=["number"],
)
class PersonPhone(Labelled):
    """One of a person's phone numbers, E.164, sealed with the person's data key."""

    data_key_owner = "person"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="phones")
    number = EncryptedTextField(_("phone number"))
    number_index = BlindIndexField(source="number", purpose="phone", db_index=True)
    label = models.CharField(max_length=20, blank=True)  # mobile, home, work
    is_primary = models.BooleanField(default=False)
    # False once a provider refuses the number for good on that channel (people/reach.py
    # phone_unreachable, when: unreachable_at; phones_restore undoes it); the reach flags
    # derive from these, dead_at and the opt-outs.
    sms_ok = models.BooleanField(default=True)
    voice_ok = models.BooleanField(default=True)
    unreachable_at = models.DateTimeField(null=True, blank=True)
    dead_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "number_index"], name="phone_once_per_person")
        ]
        verbose_name = _("phone number")

    str_label = "phone"


@classify(internal=["person", "place", "cell", "radius_km"], personal=["point"])
class PersonArea(Labelled):
    """An area a person can cover: a town or ZIP code, or a point they chose plus a radius.

    The point itself is sealed; only the coarse h3 cells it covers stay clear.
    """

    data_key_owner = "person"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="areas")
    place = models.ForeignKey(Place, on_delete=models.CASCADE, null=True, blank=True)
    point = EncryptedJSONField(null=True, blank=True)  # {"lat": …, "lng": …}
    cell = models.CharField(max_length=16, blank=True)  # coarse cell of the place/point
    radius_km = models.FloatField(default=5.0)

    class Meta:
        # the nearest-N search reads areas ring by ring around a point's cell, from the
        # index alone (no row lookups: a town of a big network has thousands of areas)
        indexes = [models.Index(fields=["cell", "person", "place"], name="person_area_cell_who")]
        verbose_name = _("area covered")

    str_label = "area"


@classify(internal=["id", "person", "cell"])
class CoverageCell(models.Model):
    """Derived: every coarse h3 cell a person's areas cover, for 'who covers X' queries."""

    # No index of their own: the two below begin with them (an import writes ~20 of these
    # rows a person, and each index is one more b-tree written inside the write lock);
    # no constraint either: two key checks a row (PostgreSQL runs them at the commit,
    # a fifth of an import's time), for ids taken from the person the rows are made for.
    # Deleting a person or a network still deletes these (Django's cascade).
    network = models.ForeignKey(
        Network, models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    person = models.ForeignKey(
        Person, models.CASCADE, related_name="coverage", db_index=False, db_constraint=False
    )
    cell = models.CharField(max_length=16)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "cell"], name="coverage_unique")]
        indexes = [models.Index(fields=["network", "cell"])]
        verbose_name = _("coverage cell")
        verbose_name_plural = _("coverage cells")

    def __str__(self) -> str:
        return self.cell
