"""The petition of an incident and the letters of support of a case (issue 23). Signers'
details are sealed with the petition's data key; a letter borrows its case's, so
shredding a closed case destroys its letters. Public pages are addressed by tokens."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import Network, User
from amparo.cases.models import Case
from amparo.lib.crypto import EncryptedTextField, OwnsDataKey, classify
from amparo.reports.models import Incident


def new_token() -> str:
    return secrets.token_urlsafe(18)


@classify(
    public=["title", "text"],
    internal=["incident", "token", "opened_by", "delivered_at", "delivered_to"],
)
class Petition(OwnsDataKey):
    """Title and text are public; ``delivered_at`` starts the clock on contacts."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="petition")
    token = models.CharField(max_length=40, unique=True, default=new_token)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text of the petition"), max_length=8000)
    opened_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivered_to = models.CharField(_("delivered to"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")


class Shown(models.TextChoices):
    NAME_TOWN = "name_town", _("My name and my town")
    TOWN = "town", _("Only my town")
    NOTHING = "nothing", _("Nothing: only count my signature")


@classify(internal=["petition", "shown", "signed_at"], personal=["name", "town", "contact"])
class Signature(models.Model):  # noqa: DJ008
    data_key_owner = "petition"

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="signatures")
    name = EncryptedTextField()
    town = EncryptedTextField()
    contact = EncryptedTextField(null=True, blank=True)  # None: none given, or deleted
    shown = models.CharField(max_length=12, choices=Shown.choices, default=Shown.NAME_TOWN)
    signed_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")


@classify(internal=["case", "token"])
class LetterLink(models.Model):  # noqa: DJ008
    """The link a case team shares so that people write letters of support."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="letter_link")
    token = models.CharField(max_length=40, unique=True, default=new_token)

    class Meta:
        verbose_name = _("letter link")
        verbose_name_plural = _("letter links")


class LetterStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


@classify(
    internal=["case", "status", "reviewed_by", "reviewed_at", "attachment_size"],
    personal=["author", "relation"],
    sensitive=["text", "attachment"],
)
class Letter(models.Model):  # noqa: DJ008
    """Text and an optional image (re-encoded without metadata), sealed with the case's key."""

    data_key_owner = "case"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="letters")
    author = EncryptedTextField()
    relation = EncryptedTextField(blank=True, default="")
    text = EncryptedTextField()
    attachment = EncryptedTextField(null=True, blank=True)  # base64 of a clean JPEG
    attachment_size = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=LetterStatus, default=LetterStatus.PENDING)
    reviewed_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
