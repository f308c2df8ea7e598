"""The template library and the documents made from it (DOMAIN.md §3, §4, §7, §8, §9).

A template is text in one language with ``{{ field }}`` merge fields (merge.py); every edit
is a new version, so a generated document names the version that made it. The shipped
texts live in ``library.json`` and are copied into a network's library when first needed.
A generated document keeps its merged text sealed with its own data key: letters name
detained workers and their A-numbers."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import Network, User
from amparo.audits.models import Audit
from amparo.cases.models import Case
from amparo.lib.crypto import EncryptedTextField, OwnsDataKey, classify
from amparo.reports.models import Incident


class Kind(models.TextChoices):
    CARD = "card", _("Palm card")
    FLIER = "flier", _("Flier")
    POSTER = "poster", _("Poster")
    LETTER = "letter", _("Letter")
    CLAUSE = "clause", _("Contract clause")
    FORM = "form", _("Questionnaire")


class Scope(models.TextChoices):
    """What a template is filled from: the network alone, or one incident, case or audit."""

    NETWORK = "network", _("the network")
    INCIDENT = "incident", _("an incident")
    CASE = "case", _("a case")
    AUDIT = "audit", _("an I-9 audit")


@classify(
    public=["network", "slug", "language", "version", "kind", "scope", "title", "body"],
    internal=["notes", "edited_by"],
)
class DocTemplate(models.Model):
    """One version of one document in one language. The current one is the highest."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="doc_templates")
    slug = models.SlugField(max_length=40)
    language = models.CharField(_("language"), max_length=8)
    version = models.PositiveIntegerField(default=1)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.NETWORK)
    title = models.CharField(_("title"), max_length=160)
    body = models.TextField(_("text"))
    notes = models.TextField(_("rationale and negotiator's note"), blank=True)
    edited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "slug", "language", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "slug", "language", "version"], name="doc_template_version"
            )
        ]
        verbose_name = _("document template")

    def __str__(self) -> str:
        return f"{self.slug} {self.language} v{self.version}"


@classify(
    internal=["template", "version", "file_format", "incident", "case", "audit", "created_by"],
    sensitive=["text"],
)
class GeneratedDocument(OwnsDataKey):
    """A document as it was printed or downloaded: its merged text, sealed, on the
    incident, case or audit it belongs to, with the template version that made it."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    template = models.ForeignKey(DocTemplate, on_delete=models.PROTECT, related_name="made")
    version = models.PositiveIntegerField()
    file_format = models.CharField(max_length=4)  # pdf, docx
    incident = models.ForeignKey(
        Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="documents"
    )
    case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="documents"
    )
    audit = models.ForeignKey(
        Audit, on_delete=models.SET_NULL, null=True, blank=True, related_name="documents"
    )
    text = EncryptedTextField(blank=True, default="")
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("generated document")

    str_label = "document"
