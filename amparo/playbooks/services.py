"""Playbooks: start one when a raid is confirmed, tell each step's owners, escalate what
is overdue, mark steps done (one tap on the web, or a text with the step's code).

- ``playbook_start_for`` (``settings.INCIDENT_CONFIRMED_HOOKS``) copies the network's
  current "after" template, due times from the confirmation in the network's zone; a
  town whose official promised to warn the community adds "check the official did it".
- Owners are a capability: its holders get the step, in their language, through the
  outbox, once its earlier steps are done; ``steps_overdue_sweep`` texts the
  coordinators once per overdue step (a conditional UPDATE claims it).
- ``step_inbound`` takes "PB4821" or "LISTO PB4821": two letters and four digits, so
  no other keyword can ever be one."""

from __future__ import annotations

import json
import re
import secrets
from datetime import datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from amparo.accounts.access import members_with_capability
from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User, localized
from amparo.accounts.roles import ALL_CAPS, Cap
from amparo.channels import inbound
from amparo.channels.models import InboundMessage
from amparo.channels.registry import sms_channel
from amparo.lib.crypto.blind import fold
from amparo.people.identity import text_sender
from amparo.people.models import Commitment, Person
from amparo.people.services import people_with_capability
from amparo.people.texting import person_text
from amparo.reports.models import Incident
from amparo.reports.where import incident_text_where

from .models import Phase, Playbook, PlaybookStep, PlaybookTemplate

HANDLER = "playbooks.step"
DATA = Path(__file__).resolve().parent / "data"
CODE_RE = re.compile(r"^(?:(?:done|hecho|listo|lista)\s+)?pb\s*#?\s*(\d{4})$")
#: at most this many overdue steps escalated per sweep (the next sweep takes the rest)
BATCH = 200


@cache
def shipped() -> dict[str, Any]:
    return dict(json.loads((DATA / "playbooks.json").read_text(encoding="utf-8")))


@cache
def scripts() -> dict[str, dict[str, str]]:
    return dict(json.loads((DATA / "scripts.json").read_text(encoding="utf-8")))


# --- templates -------------------------------------------------------------------------


def template_current(network: Network, phase: str) -> PlaybookTemplate:
    """The network's latest version of ``phase`` (the shipped one the first time)."""
    current = PlaybookTemplate.objects.filter(network=network, phase=phase).first()
    if current is None:
        current, _created = PlaybookTemplate.objects.get_or_create(
            network=network, phase=phase, version=1, defaults={"steps": shipped()[phase]}
        )
    return current


def steps_check(steps: Any) -> list[dict[str, Any]]:
    """The steps if well formed, else a ValidationError saying what is wrong."""
    if not isinstance(steps, list) or not steps:
        raise ValidationError(_("A playbook is a list of steps."))
    keys: set[str] = set()
    for step in steps:
        if not isinstance(step, dict) or not re.fullmatch(r"[a-z0-9_-]{1,40}", step.get("key", "")):
            raise ValidationError(_("Each step needs a short key (letters, digits, _)."))
        title = step.get("title")
        if not isinstance(title, dict) or not title.get("en") or not title.get("es"):
            raise ValidationError(_("Step %(key)s needs a title in English and Spanish.") % step)
        if step.get("owner") not in ALL_CAPS:
            raise ValidationError(_("Step %(key)s: the owner must be a capability.") % step)
        if not set(step.get("after", [])) <= keys:
            raise ValidationError(_("Step %(key)s comes after a step not listed before it.") % step)
        due = step.get("due", {})
        if not isinstance(due, dict) or not (
            isinstance(due.get("minutes", 0), int)
            and re.fullmatch(r"(\d\d:\d\d)?", due.get("evening", ""))
        ):
            raise ValidationError(_("Step %(key)s: due is minutes or an evening time.") % step)
        keys.add(step["key"])
    return steps


def template_save(
    *, network: Network, phase: str, steps: Any, actor: User | None = None
) -> PlaybookTemplate:
    """A new version; running playbooks keep the steps they started with."""
    steps = steps_check(steps)
    with transaction.atomic():
        current = template_current(network, phase)
        template = PlaybookTemplate.objects.create(
            network=network, phase=phase, version=current.version + 1, steps=steps, created_by=actor
        )
    audit_record(action=AuditEvent.Action.CREATE, actor=actor, network=network, obj=template)
    return template


# --- starting ------------------------------------------------------------------------


def due_time(start: datetime, due: dict[str, Any], network: Network) -> datetime | None:
    """``start`` plus minutes, or the first evening (its local time in the network's
    zone, the next day's if that time has passed)."""
    if due.get("evening"):
        zone = network.zone()
        local = timezone.localtime(start, zone)
        hour, minute = (int(x) for x in due["evening"].split(":"))
        at = datetime.combine(local.date(), time(hour, minute), tzinfo=zone)
        return at if at > local else at + timedelta(days=1)
    if due.get("minutes"):
        return start + timedelta(minutes=int(due["minutes"]))
    return None


def _new_code(network: Network) -> str:
    taken = set(
        PlaybookStep.objects.filter(playbook__network=network, done_at__isnull=True).values_list(
            "code", flat=True
        )
    )
    while True:
        code = f"PB{1000 + secrets.randbelow(9000)}"
        if code not in taken:
            return code


def _warn_commitments(incident: Incident) -> bool:
    """A town whose official promised to warn its community of raids (issue 21)."""
    return bool(
        incident.place_id
        and Commitment.objects.filter(
            warns_town_id=incident.place_id, is_active=True, demand__network=incident.network
        ).exists()
    )


def playbook_start(
    *, network: Network, phase: str, incident: Incident | None = None, actor: User | None = None
) -> Playbook:
    """The playbook of ``incident`` (or the network's "before" list), started once."""
    existing = Playbook.objects.filter(network=network, phase=phase, incident=incident).first()
    if existing is not None:
        return existing
    template = template_current(network, phase)
    start = (incident.confirmed_at if incident else None) or timezone.now()
    specs = list(template.steps)
    if incident is not None and _warn_commitments(incident):
        specs.append(shipped()["warned"])
    with transaction.atomic():
        playbook = Playbook.objects.create(
            network=network, phase=phase, incident=incident, template=template, started_at=start
        )
        for position, spec in enumerate(specs):
            PlaybookStep.objects.create(
                playbook=playbook,
                key=spec["key"],
                position=position,
                title=spec["title"],
                owner=spec["owner"],
                after=spec.get("after", []),
                uses=spec.get("uses", {}),
                code=_new_code(network),
                due_at=due_time(start, spec.get("due", {}), network) if incident else None,
            )
    audit_record(action=AuditEvent.Action.CREATE, actor=actor, network=network, obj=playbook)
    if incident is not None:
        steps_notify(playbook)
    return playbook


def playbook_start_for(*, incident: Incident, actor: User | None = None) -> Playbook:
    """The reports hook: a confirmed incident starts its during/after playbook."""
    return playbook_start(
        network=incident.network, phase=Phase.AFTER, incident=incident, actor=actor
    )


# --- texts ---------------------------------------------------------------------------


def step_link(step: PlaybookStep) -> str:
    return settings.BASE_URL + reverse("playbooks:step", kwargs={"pk": step.pk})


def _when(at: datetime | None, network: Network) -> str:
    return timezone.localtime(at, network.zone()).strftime("%H:%M") if at else ""


def step_text(step: PlaybookStep, language: str) -> str:
    playbook = step.playbook
    place = incident_text_where(playbook.incident) if playbook.incident else ""
    with translation.override(language):
        return _(
            "%(network)s, raid in %(place)s: %(step)s. By %(time)s. Reply %(code)s when done. "
            "%(link)s"
        ) % {
            "network": playbook.network.name[:30],
            "place": place[:40] or _("the area"),
            "step": localized(step.title, language)[:90],
            "time": _when(step.due_at, playbook.network),
            "code": step.code,
            "link": step_link(step),
        }


def overdue_text(step: PlaybookStep, language: str) -> str:
    with translation.override(language):
        return _(
            "%(network)s: OVERDUE since %(time)s, nobody marked it done: %(step)s. %(link)s"
        ) % {
            "network": step.playbook.network.name[:30],
            "time": _when(step.due_at, step.playbook.network),
            "step": localized(step.title, language)[:90],
            "link": step_link(step),
        }


def _text_all(people: list[Person], make: Any, purpose: str) -> int:
    return sum(bool(person_text(p, make(p.language), purpose)) for p in people)


def steps_notify(playbook: Playbook) -> int:
    """Text the owners of each step whose earlier steps are done (once per step)."""
    steps = list(playbook.steps.select_related("playbook__network", "playbook__incident"))
    done = {s.key for s in steps if s.done_at}
    sent = 0
    for step in steps:
        if step.done_at or step.notified_at or not set(step.after) <= done:
            continue
        if not PlaybookStep.objects.filter(pk=step.pk, notified_at__isnull=True).update(
            notified_at=timezone.now()
        ):
            continue
        owners = people_with_capability(playbook.network, step.owner)
        sent += _text_all(owners, lambda lang, step=step: step_text(step, lang), "playbook-step")
    return sent


def steps_overdue_sweep() -> int:
    """Sweep: text the coordinators once about each overdue step. Returns texts sent."""
    now = timezone.now()
    due = list(
        PlaybookStep.objects.filter(
            due_at__lte=now, done_at__isnull=True, escalated_at__isnull=True
        )
        .select_related("playbook__network")
        .order_by("due_at", "id")[:BATCH]
    )
    sent = 0
    for step in due:
        with transaction.atomic():
            if not PlaybookStep.objects.filter(
                pk=step.pk, done_at__isnull=True, escalated_at__isnull=True
            ).update(escalated_at=now):
                continue
            coordinators = people_with_capability(step.playbook.network, Cap.NETWORK_MANAGE)
            sent += _text_all(
                coordinators, lambda lang, step=step: overdue_text(step, lang), "playbook-overdue"
            )
    return sent


# --- done ----------------------------------------------------------------------------


def step_done(
    *, step: PlaybookStep, via: str, actor: User | None = None, person: Person | None = None
) -> bool:
    """Mark done (once); the steps waiting on it reach their owners. False if it was."""
    if not PlaybookStep.objects.filter(pk=step.pk, done_at__isnull=True).update(
        done_at=timezone.now(), done_by=actor, done_person=person, done_via=via
    ):
        return False
    step.refresh_from_db()
    audit_record(
        action=AuditEvent.Action.UPDATE,
        actor=actor,
        network=step.playbook.network,
        obj=step,
        fields=["done_at"],
        note=via,
    )
    steps_notify(step.playbook)
    return True


def may_do(user: Any, network: Network, step: PlaybookStep) -> bool:
    """The step's owners and the coordinators may mark it done."""
    return any(
        members_with_capability(network, cap, user=user) for cap in (step.owner, Cap.NETWORK_MANAGE)
    )


def step_inbound(message: InboundMessage) -> inbound.Handled | None:
    """Inbound handler: "PB4821" (or DONE/LISTO PB4821) from one of the step's owners."""
    if not message.channel or message.channel != sms_channel():
        return None
    words = " ".join(
        "".join(
            c for c in fold(message.body or "") if c.isalnum() or c.isspace() or c == "#"
        ).split()
    )
    match = CODE_RE.match(words)
    if match is None:
        return None
    network = message.network
    step = (
        PlaybookStep.objects.filter(playbook__network=network, code=f"PB{match.group(1)}")
        .select_related("playbook__network")
        .order_by("done_at", "-id")
        .first()
    )
    people = text_sender(network=network, address=message.from_address).people
    person = next((p for p in people if p.user_id and step and may_do(p.user, network, step)), None)
    language = people[0].language if people else (network.languages or ["es"])[0]
    with translation.override(language):
        if step is None or person is None:
            reply = _("%(network)s: no step of yours has that code.") % {
                "network": network.name[:30]
            }
        elif step_done(step=step, via=PlaybookStep.Via.TEXT, actor=person.user, person=person):
            reply = _("Done: %(step)s. Thank you.") % {"step": localized(step.title, language)[:90]}
        else:
            reply = _("That step was already marked done.")
    return inbound.Handled(handler=HANDLER, reply=reply, language=language)
