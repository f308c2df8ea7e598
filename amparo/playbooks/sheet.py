"""The contact sheet (``people.Organization`` of the sheet's kinds) with call scripts in
the caller's language, the calls' outcomes, the emergency meeting and the vigil
(``people.events`` activities; the vigil's member alert waits for its second approver
in ``alerts``), the cluster step, and readiness before a raid."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User
from amparo.accounts.roles import Cap
from amparo.alerts.models import AlertKind, Facility
from amparo.alerts.services import alert_create, alert_launch
from amparo.cases.models import Case
from amparo.hotline.shifts.coverage import coverage_gaps
from amparo.lib.crypto.blind import fold
from amparo.people.events import event_invite, event_when
from amparo.people.models import Activity, Organization, TrainingSession
from amparo.people.services import people_with_capability
from amparo.reports.where import incident_text_where

from .models import CallLog, Phase, Playbook, PlaybookStep
from .services import playbook_start, scripts, step_done

K = Organization.Kind
#: what a complete contact sheet holds (DOMAIN.md §3 before #4, after #3)
SHEET_KINDS = [
    K.MEDIA,
    K.ICE,
    K.SHERIFF,
    K.POLICE,
    K.OFFICIAL,
    K.CONGREGATION,
    K.CONSULATE,
    K.NATIONAL,
    K.LEGAL,
]
#: the roles invited to the emergency meeting: the team and stakeholders
MEETING_CAPS = (Cap.NETWORK_MANAGE, Cap.DISPATCH, Cap.LEGAL, Cap.COMMITTEE)


def contact_sheet(network: Network) -> QuerySet[Organization]:
    return Organization.objects.filter(network=network, kind__in=SHEET_KINDS).order_by(
        "kind", "country", "name"
    )


@dataclass
class Call:
    organization: Organization
    script: str
    count: int


def _countries(incident: Any) -> Counter[str]:
    """Countries of birth on the incident's cases (folded), and how many each."""
    if incident is None:
        return Counter()
    cases = Case.objects.filter(network=incident.network, incident=incident)
    return Counter(fold(c.country_of_birth).strip() for c in cases if c.country_of_birth)


def step_calls(step: PlaybookStep, language: str) -> list[Call]:
    """The step's contacts with their script in ``language``; consulates only of the
    countries of birth on the incident's cases."""
    kinds = step.uses.get("contacts", [])
    if not kinds:
        return []
    playbook = step.playbook
    incident = playbook.incident
    countries = _countries(incident)
    values = {
        "network": playbook.network.name,
        "place": incident_text_where(incident) if incident else "",
    }
    total = sum(countries.values()) or (incident.cases.count() if incident else 0)
    calls = []
    for org in contact_sheet(playbook.network).filter(kind__in=kinds):
        count = total
        if org.kind == K.CONSULATE:
            count = countries.get(fold(org.country).strip(), 0)
            if not count:
                continue
        texts = scripts().get(org.kind, {})
        script = texts.get(language) or texts.get("en", "")
        calls.append(
            Call(org, script.format(**{**values, "count": count, "country": org.country}), count)
        )
    return calls


def call_record(
    *, step: PlaybookStep, organization: Organization, outcome: str, actor: User | None
) -> CallLog:
    if (
        organization.network_id != step.playbook.network_id
        or organization.kind not in step.uses.get("contacts", [])
    ):
        raise ValidationError(_("Choose one of the contacts of this step."))
    outcome = (outcome or "").strip()[:300]
    if not outcome:
        raise ValidationError(_("Write the outcome in a few words."))
    log = CallLog.objects.create(
        step=step, organization=organization, outcome=outcome, called_by=actor
    )
    audit_record(
        action=AuditEvent.Action.CREATE, actor=actor, network=organization.network, obj=log
    )
    return log


# --- the meeting and the vigil -----------------------------------------------------


def first_evening(playbook: Playbook) -> datetime:
    """The vigil's default: the step's due time (the first evening, local)."""
    step = playbook.steps.filter(key="vigil").first()
    return step.due_at if step and step.due_at else timezone.now() + timedelta(hours=3)


def event_from_step(
    *,
    step: PlaybookStep,
    starts_at: datetime,
    place: str = "",
    facility: Facility | None = None,
    actor: User | None = None,
) -> Activity:
    """The step's event: the emergency meeting (its team invited, RSVPs by reply) or the vigil
    at ``facility`` (also a member alert for a second approver). Done once the event exists."""
    kind = step.uses.get("event")
    network = step.playbook.network
    if kind not in ("meeting", "vigil") or step.activity_id:
        raise ValidationError(_("This step has no event to call, or it has one already."))
    if kind == "vigil":
        if facility is None or facility.network_id != network.pk:
            raise ValidationError(_("Choose the facility where the workers are held."))
        place = ", ".join(x for x in (facility.name, facility.address) if x)
    languages = [*network.languages] or ["es", "en"]
    with translation.override(languages[0]):
        title = _("Vigil for the detained workers") if kind == "vigil" else _("Emergency meeting")
    activity = Activity.objects.create(
        network=network,
        kind=Activity.Kind.EVENT if kind == "vigil" else Activity.Kind.MEETING,
        title=title,
        starts_at=starts_at,
        place=place[:200],
    )
    invited = {p.pk: p for cap in MEETING_CAPS for p in people_with_capability(network, cap)}
    event_invite(activity=activity, people=list(invited.values()), actor=actor)
    PlaybookStep.objects.filter(pk=step.pk).update(activity=activity)
    if kind == "vigil":
        templates = {}
        for lang in {*languages, "es", "en"}:
            with translation.override(lang):
                templates[lang] = _(
                    "{network}: vigil for the detained workers, %(when)s, outside "
                    "{facility}, {address}. Come, bring candles; stay safe. {link}"
                ) % {"when": event_when(activity, lang)}
        alert = alert_create(
            network=network,
            kind=AlertKind.MEMBERS,
            actor=actor,
            incident=step.playbook.incident,
            facility=facility,
            templates=templates,
        )
        alert = alert_launch(alert=alert, actor=actor)  # waits for its second approver
        PlaybookStep.objects.filter(pk=step.pk).update(alert=alert)
    step.refresh_from_db()
    step_done(step=step, via=PlaybookStep.Via.WEB, actor=actor)
    return activity


def cluster_record(*, step: PlaybookStep, isolated: bool, actor: User | None) -> Playbook:
    playbook = step.playbook
    Playbook.objects.filter(pk=playbook.pk).update(isolated=isolated, assessed_at=timezone.now())
    playbook.refresh_from_db()
    audit_record(
        action=AuditEvent.Action.UPDATE,
        actor=actor,
        network=playbook.network,
        obj=playbook,
        fields=["isolated"],
    )
    step_done(step=step, via=PlaybookStep.Via.WEB, actor=actor)
    return playbook


# --- readiness -----------------------------------------------------------------------


def palm_cards_printed(network: Network) -> bool:
    """Palm cards printed: a card sheet was made from the documents library (issue 22)."""
    from amparo.documents.models import GeneratedDocument, Kind

    return GeneratedDocument.objects.filter(network=network, template__kind=Kind.CARD).exists()


@dataclass
class Item:
    key: str
    title: str
    done: bool
    url: str


def readiness(network: Network, language: str) -> tuple[int, list[Item]]:
    """How much of the before-list is done, 0–100, and each item with where to do it."""
    before = playbook_start(network=network, phase=Phase.BEFORE)
    year_ago = timezone.now() - timedelta(days=365)
    kinds = set(contact_sheet(network).values_list("kind", flat=True))
    checks = {
        "team": bool(people_with_capability(network, Cap.DISPATCH))
        and len(people_with_capability(network, Cap.LEGAL)) >= 2,
        "trainings": TrainingSession.objects.filter(
            network=network, starts_at__gte=year_ago, starts_at__lte=timezone.now()
        ).exists(),
        "contacts": set(SHEET_KINDS) <= kinds,
        "hotline": not coverage_gaps(network=network, days=7),
        "palm_cards": palm_cards_printed(network),
    }
    links = {
        "team": reverse("people:list"),
        "trainings": reverse("people:trainings"),
        "contacts": reverse("playbooks:contacts"),
        "hotline": reverse("hotline:coverage"),
        "palm_cards": reverse("documents:index"),
    }
    items = []
    for step in before.steps.all():
        check = checks.get(step.key)
        done = check if check is not None else bool(step.done_at)
        url = links.get(step.key) or reverse("playbooks:step", kwargs={"pk": step.pk})
        items.append(Item(step.key, step.title.get(language) or step.title["en"], done, url))
    score = round(100 * sum(i.done for i in items) / len(items)) if items else 0
    return score, items
