"""Sanctuary rotas, needs on the committees' boards, and family plans. Writes are
audited with field names and codes only; texts go through the one outbox, in each
person's language, with times in the network's zone."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User
from amparo.accounts.roles import Cap
from amparo.cases.models import Case
from amparo.channels import inbound
from amparo.channels.outbox import outbox_write
from amparo.channels.registry import sms_channel
from amparo.lib.crypto.blind import fold
from amparo.lib.phones import normalize_phone
from amparo.people.identity import text_sender
from amparo.people.models import Committee, Person, Task
from amparo.people.texting import person_text

from .models import FamilyPlan, Need, NeedRoute, PlanViewer, RotaSlot, Sanctuary

HANDLER = "support.rota"
GAP_DAYS = 3  # the unfilled turns of the coming days are the rota's gaps
REMIND_BEFORE = timedelta(hours=24)
PLAN_LINK_DAYS = 14  # a plan's links work this long after it is opened
#: who sees which members have a family plan (that alone is sensitive) and opens one
PLAN_OPENERS = Cap.CASES_ALL
SLOT_WORDS = {"slot", "apoyo"}
_SLOT_RE = re.compile(r"^([a-z]+)\s*#?\s*(\d{1,9})$")
#: the committee (slug) each kind of need goes to when the network has no NeedRoute for it
ROUTES = dict.fromkeys(["rides", "food", "medical"], "solidarity") | {
    "childcare": "childcare",
    "rent": "fundraising",
    "legal": "worker-committee",
}


def _audit(obj: Any, actor: User | None, fields: list[str], note: str = "") -> None:
    network = getattr(obj, "network", None) or obj.sanctuary.network
    audit_record(
        action=AuditEvent.Action.UPDATE,
        actor=actor,
        network=network,
        obj=obj,
        fields=fields,
        note=note,
    )


# --- rotas ------------------------------------------------------------------------------


def rota_gaps(sanctuary: Sanctuary, now: datetime | None = None) -> list[RotaSlot]:
    now = now or timezone.now()
    until = now + timedelta(days=GAP_DAYS)
    return list(sanctuary.slots.filter(person=None, starts_at__gt=now, starts_at__lt=until))


def slot_line(slot: RotaSlot, language: str) -> str:
    """'Meal, Sat 1 May 18:00' in ``language`` and the network's zone. Never the place:
    texts go in plain SMS; the rota page (login required) shows it to those allowed."""
    starts = slot.starts_at.astimezone(slot.sanctuary.network.zone())
    with translation.override(language):
        return f"{slot.get_kind_display()}, {formats.date_format(starts, 'D j M')} {starts:%H:%M}"


def rota_link(sanctuary: Sanctuary) -> str:
    return settings.BASE_URL + reverse("support:rota", args=[sanctuary.pk])


def slot_take(*, slot: RotaSlot, person: Person, actor: User | None = None) -> bool:
    """``person`` takes ``slot`` if still open and ahead (two at once: one wins)."""
    taken = RotaSlot.objects.filter(
        pk=slot.pk, person=None, starts_at__gt=timezone.now(), sanctuary__ended=False
    ).update(person=person)
    if taken:
        _audit(slot, actor, ["person"], "by text" if actor is None else "")
    return bool(taken)


def rota_ask(*, sanctuary: Sanctuary) -> int:
    """Text the rota's gaps to its committee's members; they reply APOYO <number>."""
    gaps = rota_gaps(sanctuary)[:4]
    if not gaps or sanctuary.committee is None:
        return 0
    sent = 0
    for person in Person.objects.filter(committees__committee=sanctuary.committee).active():
        lines = "; ".join(f"{s.pk}: {slot_line(s, person.language)}" for s in gaps)
        with translation.override(person.language):
            body = _(
                "%(network)s needs help with a sanctuary support turn: %(lines)s. Details: "
                "%(link)s Reply APOYO and the number to take one."
            )
        body %= {
            "network": sanctuary.network.name[:30],
            "lines": lines,
            "link": rota_link(sanctuary),
        }
        sent += person_text(person, body, "rota-ask")
    return sent


def rota_inbound(message: Any) -> inbound.Handled | None:
    """Inbound handler: "APOYO 12" / "SLOT 12" from a volunteer's phone takes turn 12."""
    if not message.channel or message.channel != sms_channel():
        return None
    match = _SLOT_RE.match(fold(message.body or "").strip().strip(".!?"))
    if match is None or match.group(1) not in SLOT_WORDS:
        return None
    sender = text_sender(network=message.network, address=message.from_address)
    person = next((p for p in sender.people if p.status != Person.Status.REMOVED), None)
    if person is None:
        return None
    # Only the rota's committee (those rota_ask texts) may take turns by text.
    slot = (
        RotaSlot.objects.filter(
            pk=int(match.group(2)),
            sanctuary__network=message.network,
            sanctuary__committee__members__person=person,
        )
        .select_related("sanctuary__network", "sanctuary__congregation")
        .first()
    )
    with translation.override(person.language):
        if slot is not None and slot_take(slot=slot, person=person):
            reply = _(
                "Thank you: the sanctuary support turn %(slot)s is yours. Details: %(link)s "
                "We will remind you the day before."
            )
            reply %= {"slot": slot_line(slot, person.language), "link": rota_link(slot.sanctuary)}
        else:
            reply = _("That turn is already taken or is not open. Thank you all the same.")
    return inbound.Handled(handler=HANDLER, reply=reply, language=person.language)


def rota_reminder_sweep() -> int:
    """Sweep: remind each volunteer of their turn once, a day ahead. Returns texts sent."""
    now = timezone.now()
    sent = 0
    due = RotaSlot.objects.filter(
        person__isnull=False, reminded=False, starts_at__gt=now, starts_at__lte=now + REMIND_BEFORE
    ).select_related("person__network", "sanctuary__network", "sanctuary__congregation")
    for slot in due.filter(sanctuary__ended=False):
        with transaction.atomic():
            person = slot.person
            if person is None or not RotaSlot.objects.filter(pk=slot.pk, reminded=False).update(
                reminded=True
            ):
                continue
            with translation.override(person.language):
                body = _(
                    "Reminder: your sanctuary support turn, %(slot)s. Details: %(link)s Thank you."
                )
            body %= {"slot": slot_line(slot, person.language), "link": rota_link(slot.sanctuary)}
            sent += person_text(person, body, "rota-reminder")
    return sent


# --- needs ------------------------------------------------------------------------------


def need_committee(network: Network, kind: str) -> Committee | None:
    route = NeedRoute.objects.filter(network=network, kind=kind).select_related("committee").first()
    return (
        route.committee
        if route
        else Committee.objects.filter(network=network, slug=ROUTES.get(kind, "")).first()
    )


@transaction.atomic
def need_add(*, case: Case, kind: str, words: str, due: date | None, actor: User) -> Need:
    """The need becomes a task on its committee's board, with only ``words`` on it."""
    committee = need_committee(case.network, kind)
    if committee is None:
        raise ValidationError(_("No committee takes this kind of need yet."))
    task = Task.objects.create(committee=committee, title=words.strip()[:300], due_date=due)
    need = Need.objects.create(case=case, kind=kind, task=task)
    _audit(case, actor, ["needs"], f"need {need.pk} committee {committee.pk}")
    return need


# --- family plans -----------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def plan_link(viewer: PlanViewer) -> str:
    return settings.BASE_URL + reverse("plan_shared", kwargs={"token": viewer.token})


def parse_viewers(text: str) -> list[tuple[str, str]]:
    """'Name, phone' per line -> [(name, e164 or "")]."""
    found = []
    for line in (text or "").splitlines():
        name, _sep, phone = (part.strip() for part in line.partition(","))
        try:
            found += [(name[:120], normalize_phone(phone) if phone else "")] if name else []
        except ValidationError:
            raise ValidationError(_("Write each person as: name, phone number.")) from None
    return found


@transaction.atomic
def plan_save(
    *, network: Network, owner: User, language: str, body: dict[str, str], viewers: str
) -> FamilyPlan:
    """Write the member's plan; the chosen people get new links (old ones stop)."""
    chosen = parse_viewers(viewers)
    plan = FamilyPlan.objects.filter(network=network, owner=owner).first()
    if plan is not None and plan.expires_at is not None:
        raise ValidationError(_("This plan was opened for your people; it can no longer change."))
    plan = plan or FamilyPlan(network=network, owner=owner)
    plan.language, plan.body = language, body
    plan.save()
    plan.viewers.all().delete()
    for name, phone in chosen:
        token = secrets.token_urlsafe(24)
        PlanViewer.objects.create(
            plan=plan, name=name, phone=phone, token=token, token_hash=token_hash(token)
        )
    _audit(plan, owner, ["body", "viewers"], f"viewers={len(chosen)}")
    return plan


@transaction.atomic
def plan_open(*, plan: FamilyPlan, actor: User, case: Case | None = None) -> int:
    """Open the plan for its chosen people (the member is detained): their links work
    for PLAN_LINK_DAYS; those with a phone are texted theirs. Returns the texts."""
    expires = timezone.now() + timedelta(days=PLAN_LINK_DAYS)
    if not FamilyPlan.objects.filter(pk=plan.pk, expires_at=None).update(
        opened_by=actor, case=case, expires_at=expires
    ):
        return 0
    _audit(plan, actor, ["expires_at"], f"opened case {case.pk}" if case else "opened")
    channel, sent = sms_channel(), 0
    for viewer in [v for v in plan.viewers.all() if v.phone and channel]:
        with translation.override(plan.language):
            body = _("%(network)s: a family plan was shared with you. Open it here: %(link)s")
        body %= {"network": plan.network.name[:30], "link": plan_link(viewer)}
        outbox_write(
            network=plan.network, channel=channel, to=viewer.phone, body=body,
            purpose="family-plan", language=plan.language,
        )  # fmt: skip
        sent += 1
    return sent


def plan_shared(token: str) -> PlanViewer | None:
    """The chosen person behind ``token`` if the plan is open for them now, else None.
    Every try that finds a viewer is audited, refused or not."""
    viewer = (
        PlanViewer.objects.filter(token_hash=token_hash(token))
        .select_related("plan__network")
        .first()
    )
    if viewer is None:
        return None
    expires = viewer.plan.expires_at
    shown = expires is not None and timezone.now() < expires
    note = "plan link shown" if shown else "plan link refused"
    audit_record(action=AuditEvent.Action.READ, network=viewer.plan.network, obj=viewer, note=note)
    return viewer if shown else None


PLAN_SECTIONS = (
    ("children", gettext_lazy("Children and their backup caregivers")),
    ("documents", gettext_lazy("Where the documents are kept")),
    ("contacts", gettext_lazy("Emergency contacts")),
    ("lawyer", gettext_lazy("Lawyer")),
)


def plan_pdf(plan: FamilyPlan) -> bytes:
    """The plan on paper, in the member's language."""
    from amparo.lib.pdf import heading, output, paper, paragraph

    with translation.override(plan.language):
        title = _("Family preparedness plan")
        pdf = paper(title=title, foot=f"{plan.network.name} · ")
        heading(pdf, title)
        paragraph(pdf, plan.owner.display_name or "", bold=True)
        for key, label in PLAN_SECTIONS:
            heading(pdf, str(label), size=13)
            paragraph(pdf, (plan.body or {}).get(key) or "—")
        heading(pdf, _("Who may see this plan"), size=13)
        for viewer in plan.viewers.all():
            paragraph(pdf, f"{viewer.name} {viewer.phone}".strip())
        note = _("If I am detained, call the hotline: my plan will be opened for these people.")
        paragraph(pdf, note, size=9)
        return output(pdf)
