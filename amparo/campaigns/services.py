"""Petitions and letters of support, each write audited. Signing has the report form's
defences (people/antiabuse.py) and a cap of ``PETITION_SIGNATURE_CAP`` signatures per
petition and window: a flood from many addresses is bounded. A signature pages nobody."""

from __future__ import annotations

import base64
import io
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, User
from amparo.cases.models import Case
from amparo.lib import pdf
from amparo.people import antiabuse
from amparo.reports.models import Incident

from .models import Letter, LetterLink, LetterStatus, Petition, Shown, Signature

FLOOD_SCOPE = "petition-flood"
SHOWN_ON_PAGE = 100  # the newest signatures listed (the count is of all)
Action = AuditEvent.Action


def _audit(action: str, actor: User, obj: Petition | Letter | LetterLink | Case, **kw: Any) -> None:
    network = obj.network if isinstance(obj, Petition | Case) else obj.case.network
    audit_record(action=action, actor=actor, network=network, obj=obj, **kw)


def petition_save(*, incident: Incident, actor: User, title: str, text: str) -> Petition:
    """Open the incident's petition, or change its title and text."""
    petition = Petition.objects.filter(incident=incident).first()
    action = Action.UPDATE if petition else Action.CREATE
    petition = petition or Petition(network=incident.network, incident=incident, opened_by=actor)
    petition.title, petition.text = title, text
    petition.save()
    _audit(action, actor, petition)
    return petition


def petition_deliver(*, petition: Petition, actor: User, delivered_to: str) -> None:
    """Handed to officials: contacts are kept ``PETITION_CONTACT_DAYS`` more (retention.py)."""
    petition.delivered_at, petition.delivered_to = timezone.now(), delivered_to
    petition.save(update_fields=["delivered_at", "delivered_to"])
    _audit(Action.UPDATE, actor, petition, fields=["delivered_at"])


def petition_flooded(petition: Petition) -> bool:
    limit = settings.PETITION_FLOOD_THRESHOLD
    return antiabuse.flood_seen(scope=FLOOD_SCOPE, value=str(petition.pk), threshold=limit)


def petition_pow_bits(petition: Petition) -> int:
    extra = settings.REPORT_FLOOD_POW_EXTRA_BITS if petition_flooded(petition) else 0
    return int(settings.SIGNUP_POW_BITS) + int(extra)


def petition_admit(*, petition: Petition, post: antiabuse.Posted) -> int:
    """One valid post of the signing form: counted toward a flood, then the petition's cap or
    the per-address limits (stricter without proof of work, and in a flood); 0 or the wait."""
    flood, s = petition_flooded(petition), settings
    limits = [("petition-address", s.REPORT_FLOOD_RATE_LIMITS if flood else s.PETITION_RATE_LIMITS)]
    nojs = s.REPORT_FLOOD_NOJS_RATE_LIMITS if flood else s.REPORT_NOJS_RATE_LIMITS
    limits += [] if post.check.solved else [("petition-nojs", nojs)]
    cap, seconds = s.PETITION_SIGNATURE_CAP
    since = timezone.now() - timedelta(seconds=seconds)
    full = Signature.objects.filter(petition=petition, signed_at__gte=since).count() >= cap
    with transaction.atomic():
        antiabuse.flood_count(
            scope=FLOOD_SCOPE, value=str(petition.pk), threshold=s.PETITION_FLOOD_THRESHOLD
        )
        value = f"{petition.pk}\x00{post.address}"
        waits = [antiabuse.rate_hit(scope=k, value=value, limits=v) for k, v in limits if not full]
    return seconds if full else max(waits)


def petition_sign(*, petition: Petition, name: str, town: str, contact: str, shown: str) -> None:
    Signature.objects.create(
        petition=petition, name=name, town=town, contact=contact or None, shown=shown
    )


def signatures_shown(petition: Petition) -> list[tuple[str, str]]:
    """(name, town) of the newest signatures, only what each signer chose to show."""
    rows = Signature.objects.filter(petition=petition).exclude(shown=Shown.NOTHING)
    rows = rows.defer("contact").order_by("-signed_at", "-id")[:SHOWN_ON_PAGE]
    return [(s.name if s.shown == Shown.NAME_TOWN else "", s.town) for s in rows]


def petition_pdf(*, petition: Petition, actor: User) -> bytes:
    """The petition for officials: the count of every signature, and of each only what the
    signer chose to show (name and town, the town, or nothing); never a contact."""
    signatures = list(petition.signatures.defer("contact").order_by("signed_at", "id"))
    doc = pdf.paper(title=petition.title, head=petition.title, foot=f"{_('Page')} ")
    pdf.heading(doc, petition.title)
    pdf.paragraph(doc, petition.text)
    pdf.paragraph(doc, _("Signatures: %(n)s") % {"n": len(signatures)}, bold=True)
    shown = [s for s in signatures if s.shown != Shown.NOTHING]
    for n, s in enumerate(shown, 1):
        name = s.name if s.shown == Shown.NAME_TOWN else _("(name not shown)")
        pdf.paragraph(doc, f"{n}. {name} · {s.town}", size=10)
    if len(shown) < len(signatures):
        hidden = len(signatures) - len(shown)
        pdf.paragraph(doc, _("%(n)s more signed and chose to be counted only.") % {"n": hidden})
    _audit(Action.EXPORT, actor, petition, note=str(len(signatures)))
    return pdf.output(doc)


def letter_link_for(*, case: Case, actor: User) -> None:
    link, created = LetterLink.objects.get_or_create(case=case)
    if created:
        _audit(Action.CREATE, actor, link)


def letter_submit(
    *, case: Case, author: str, relation: str, text: str, image: bytes | None
) -> None:
    """A letter from the public form; ``image`` already cleaned (reports/photos.py)."""
    attachment = base64.b64encode(image).decode() if image else None
    size = len(image or b"")
    Letter.objects.create(
        case=case,
        author=author,
        relation=relation,
        text=text,
        attachment=attachment,
        attachment_size=size,
    )


def letter_review(*, letter: Letter, actor: User, approve: bool) -> None:
    letter.status = LetterStatus.APPROVED if approve else LetterStatus.REJECTED
    letter.reviewed_by, letter.reviewed_at = actor, timezone.now()
    letter.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    _audit(Action.UPDATE, actor, letter, fields=["status"], note=letter.status)


def letters_pdf(*, case: Case, actor: User) -> bytes:
    """The approved letters, one a page, for the attorney or the court."""
    letters = list(case.letters.filter(status=LetterStatus.APPROVED))
    title = _("Letters of support for %(name)s") % {"name": case.full_name}
    doc = pdf.paper(title=title, head=title, foot=f"{_('Page')} ")
    pdf.heading(doc, title)
    for n, letter in enumerate(letters, 1):
        if n > 1:
            doc.add_page()
        pdf.heading(doc, f"{n}. {letter.author}", size=13)
        pdf.paragraph(doc, letter.relation, size=10)
        pdf.paragraph(doc, letter.text)
        if letter.attachment:
            doc.image(io.BytesIO(base64.b64decode(letter.attachment)), w=120)
    _audit(Action.EXPORT, actor, case, note=str(len(letters)))
    return pdf.output(doc)
