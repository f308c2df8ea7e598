"""Petitions and letters of support: every write, with its audit record.

A petition's public form has the report form's defences (amparo/people/antiabuse.py):
a proof of work, stricter limits without JavaScript, per-address limits, and a flood
measure that raises the work and tightens the limits. On top, a petition stores at most
``PETITION_SIGNATURE_CAP`` signatures per window, so a flood from many addresses is
bounded by rows, each of bounded size. Nobody is paged: a signature sends nothing.
"""

from __future__ import annotations

import base64
import io
from datetime import timedelta

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
#: the newest signatures the public page shows (the count is of all)
SHOWN_ON_PAGE = 100
Action = AuditEvent.Action


# --- the petition ------------------------------------------------------------------------


def petition_save(*, incident: Incident, actor: User, title: str, text: str) -> Petition:
    """Open the incident's petition, or change its title and text."""
    petition = Petition.objects.filter(incident=incident).first()
    action = Action.UPDATE if petition else Action.CREATE
    if petition is None:
        petition = Petition(network=incident.network, incident=incident, opened_by=actor)
    petition.title, petition.text, petition.updated_at = title, text, timezone.now()
    petition.save()
    audit_record(action=action, actor=actor, network=petition.network, obj=petition)
    return petition


def petition_deliver(*, petition: Petition, actor: User, delivered_to: str) -> Petition:
    """The petition was handed to officials: from now the signers' contacts are kept
    ``PETITION_CONTACT_DAYS`` more (the retention sweep, amparo/core/retention.py)."""
    petition.delivered_at = timezone.now()
    petition.delivered_to = delivered_to
    petition.save(update_fields=["delivered_at", "delivered_to"])
    audit_record(
        action=Action.UPDATE,
        actor=actor,
        network=petition.network,
        obj=petition,
        fields=["delivered_at"],
    )
    return petition


def petition_flooded(petition: Petition) -> bool:
    return antiabuse.flood_seen(
        scope=FLOOD_SCOPE, value=str(petition.pk), threshold=settings.PETITION_FLOOD_THRESHOLD
    )


def petition_pow_bits(petition: Petition) -> int:
    extra = settings.REPORT_FLOOD_POW_EXTRA_BITS if petition_flooded(petition) else 0
    return int(settings.SIGNUP_POW_BITS) + int(extra)


def petition_cap_wait(petition: Petition) -> int:
    """0 while the petition may store another signature this window, else the seconds
    until its oldest one of the window leaves it."""
    cap, seconds = settings.PETITION_SIGNATURE_CAP
    since = timezone.now() - timedelta(seconds=seconds)
    nth = (
        Signature.objects.filter(petition=petition, signed_at__gte=since)
        .order_by("-signed_at")
        .values_list("signed_at", flat=True)[cap - 1 : cap]
        .first()
    )
    return 0 if nth is None else max(1, int((nth - since).total_seconds()) + 1)


def petition_admit(*, petition: Petition, address: str, solved: bool) -> int:
    """One valid post of the signing form: counted toward a flood, then the petition's
    cap, then the per-address limits (stricter without a proof of work and during a
    flood). 0, or the seconds to wait. The address is only hashed."""
    flood = petition_flooded(petition)
    value = f"{petition.pk}\x00{address}"
    limits = [
        ("petition-address", settings.REPORT_FLOOD_RATE_LIMITS if flood else settings.PETITION_RATE_LIMITS)
    ]
    if not solved:
        nojs = settings.REPORT_FLOOD_NOJS_RATE_LIMITS if flood else settings.REPORT_NOJS_RATE_LIMITS
        limits.append(("petition-nojs", nojs))
    full = petition_cap_wait(petition)
    wait = 0
    with transaction.atomic():
        antiabuse.flood_count(
            scope=FLOOD_SCOPE, value=str(petition.pk), threshold=settings.PETITION_FLOOD_THRESHOLD
        )
        for scope, scope_limits in [] if full else limits:
            wait = max(wait, antiabuse.rate_hit(scope=scope, value=value, limits=scope_limits))
    return full or wait


def petition_sign(
    *, petition: Petition, name: str, town: str, contact: str, shown: str
) -> Signature:
    """Store one signature (sealed). Sends nothing to anyone."""
    return Signature.objects.create(
        petition=petition, name=name, town=town, contact=contact or None, shown=shown
    )


def signatures_shown(petition: Petition) -> list[tuple[str, str]]:
    """(name, town) of the newest signatures, as each signer chose: a name only with
    its town chosen, a town alone, or nothing (counted only, not listed)."""
    rows = (
        Signature.objects.filter(petition=petition)
        .exclude(shown=Shown.NOTHING)
        .only("name", "town", "shown", "petition")
        .order_by("-signed_at", "-id")[:SHOWN_ON_PAGE]
    )
    return [(s.name if s.shown == Shown.NAME_TOWN else "", s.town or "") for s in rows]


def petition_pdf(*, petition: Petition, actor: User) -> bytes:
    """The petition and every signature (name and town) for officials; contacts never."""
    signatures = list(petition.signatures.order_by("signed_at", "id"))
    doc = pdf.paper(title=petition.title, head=petition.title, foot=f"{_('Page')} ")
    pdf.heading(doc, petition.title)
    pdf.paragraph(doc, petition.text)
    count = len(signatures)
    pdf.paragraph(doc, _("Signatures: %(n)s") % {"n": count}, bold=True)
    for n, s in enumerate(signatures, 1):
        pdf.paragraph(doc, f"{n}. {s.name or ''} · {s.town or ''}", size=10)
    audit_record(
        action=Action.EXPORT, actor=actor, network=petition.network, obj=petition, note=str(count)
    )
    return pdf.output(doc)


# --- letters of support ------------------------------------------------------------------


def letter_link_for(*, case: Case, actor: User) -> LetterLink:
    link, created = LetterLink.objects.get_or_create(case=case)
    if created:
        audit_record(action=Action.CREATE, actor=actor, network=case.network, obj=link)
    return link


def letter_submit(
    *, case: Case, author: str, relation: str, text: str, image: bytes | None
) -> Letter:
    """A letter from the public form; ``image`` already cleaned (no metadata)."""
    return Letter.objects.create(
        case=case,
        author=author,
        relation=relation,
        text=text,
        attachment=base64.b64encode(image).decode() if image else None,
        attachment_size=len(image or b""),
    )


def letter_review(*, letter: Letter, actor: User, approve: bool) -> Letter:
    letter.status = LetterStatus.APPROVED if approve else LetterStatus.REJECTED
    letter.reviewed_by, letter.reviewed_at = actor, timezone.now()
    letter.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    audit_record(
        action=Action.UPDATE,
        actor=actor,
        network=letter.case.network,
        obj=letter,
        fields=["status"],
        note=letter.status,
    )
    return letter


def letters_pdf(*, case: Case, actor: User) -> bytes:
    """The approved letters, one after another, for the attorney or the court."""
    letters = list(case.letters.filter(status=LetterStatus.APPROVED).order_by("created_at", "id"))
    title = _("Letters of support for %(name)s") % {"name": case.full_name}
    doc = pdf.paper(title=title, head=title, foot=f"{_('Page')} ")
    pdf.heading(doc, title)
    for n, letter in enumerate(letters, 1):
        if n > 1:
            doc.add_page()
        pdf.heading(doc, f"{n}. {letter.author}", size=13)
        if letter.relation:
            pdf.paragraph(doc, letter.relation, size=10)
        pdf.paragraph(doc, letter.text)
        if letter.attachment:
            doc.image(io.BytesIO(base64.b64decode(letter.attachment)), w=120)
    audit_record(
        action=Action.EXPORT, actor=actor, network=case.network, obj=case, note=str(len(letters))
    )
    return pdf.output(doc)
