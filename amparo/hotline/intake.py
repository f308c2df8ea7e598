"""Intake: what a responder records while guiding a caller, and the outcome.

``intake_finish`` validates what the outcome needs (``Intake.REQUIRED_FOR_OUTCOME``), keeps
only the answers of the situation's script, and carries the outcome out (raid report,
referral text, callback, activation); "nothing further" keeps no answers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User
from amparo.accounts.roles import Cap
from amparo.channels.outbox import outbox_write
from amparo.channels.registry import sms_channel
from amparo.lib.phones import normalize_phone
from amparo.lib.textsafe import text_where
from amparo.people.models import Organization, Person
from amparo.people.reach import reach_numbers
from amparo.people.services import people_with_capability

from .models import Call, Callback, Conversation, Intake, Outcome, Situation
from .scripts import A_NUMBER, PHONE, a_number_normalize, script_for
from .services import on_shift

log = logging.getLogger(__name__)

MAX_ANSWER = 2000


@dataclass
class Finished:
    intake: Intake
    notified: int = 0  # dispatchers and responders texted
    caller_texted: bool = False
    callback: Callback | None = None


def intake_start(
    *,
    network: Network,
    responder: User | None,
    situation: str,
    language: str,
    call: Call | None = None,
    conversation: Conversation | None = None,
) -> Intake:
    if situation not in Situation.values:
        raise ValidationError(_("Choose a situation."))
    intake = Intake.objects.create(
        network=network,
        responder=responder,
        situation=situation,
        language=language,
        call=call,
        conversation=conversation,
    )
    audit_record(action=AuditEvent.Action.CREATE, actor=responder, obj=intake)
    return intake


def answers_clean(*, situation: str, answers: dict[str, Any]) -> dict[str, str]:
    """Only the script's questions, trimmed, empties dropped; phones and A-numbers checked."""
    cleaned: dict[str, str] = {}
    errors: dict[str, str] = {}
    for question in script_for(situation).questions:
        value = str(answers.get(question.key) or "").strip()[:MAX_ANSWER]
        if not value:
            continue
        if question.kind == PHONE:
            try:
                value = normalize_phone(value)
            except ValidationError as exc:
                errors[question.key] = exc.messages[0]
                continue
        elif question.kind == A_NUMBER:
            number = a_number_normalize(value)
            if number is None:
                errors[question.key] = _("An A-number has at most 9 digits.")
                continue
            value = number
        elif question.choices and value not in {c for c, _label in question.choices}:
            errors[question.key] = _("Choose one of the options.")
            continue
        cleaned[question.key] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def answers_missing(*, outcome: str, answers: dict[str, str]) -> list[str]:
    return [k for k in Intake.REQUIRED_FOR_OUTCOME.get(outcome, []) if not answers.get(k)]


def _sms_numbers(people: list[Person]) -> list[tuple[Person, str]]:
    first = reach_numbers(people, "sms")
    return [(p, first[p.pk]) for p in people if p.pk in first]


def team_notify(*, intake: Intake, where: str, incident_id: int | None = None) -> int:
    """Text every dispatcher and everyone on shift now, each in their own language.

    Dispatchers get a link to the incident on their console (the report landed there);
    the others on shift get the news without a link: the intake itself is need-to-know
    (only its responder, whoever it is assigned to and coordinators open it)."""
    shift = on_shift(network=intake.network)
    dispatching = people_with_capability(intake.network, Cap.DISPATCH)
    dispatchers = {p.pk for p in dispatching}
    people = {p.pk: p for p in [*dispatching, *shift.primary, *shift.backup]}
    if incident_id is not None:
        link = settings.BASE_URL + reverse("reports:incident", kwargs={"pk": incident_id})
    else:
        link = settings.BASE_URL + reverse("reports:console")
    activate = intake.outcome == Outcome.ACTIVATE
    sent = 0
    channel = sms_channel()
    for person, number in _sms_numbers(list(people.values())) if channel else []:
        with translation.override(person.language):
            values = {
                "situation": str(Situation(intake.situation).label),
                # never the caller's words as typed: a safe name and town (threat model)
                "where": text_where(workplace=where) or _("see the console"),
                "link": link,
            }
            if person.pk in dispatchers and activate:
                text = _(
                    "Amparo: the hotline activated the response team: "
                    "%(situation)s, %(where)s — %(link)s"
                )
            elif person.pk in dispatchers:
                text = _(
                    "Amparo: the hotline took a raid report: %(situation)s, %(where)s — %(link)s"
                )
            elif activate:
                text = _(
                    "Amparo: the hotline activated the response team: "
                    "%(situation)s, %(where)s. Dispatch has the details."
                )
            else:
                text = _(
                    "Amparo: the hotline took a raid report: %(situation)s, %(where)s. "
                    "Dispatch has the details."
                )
            body = text % values
        outbox_write(
            network=intake.network,
            channel=channel,
            to=number,
            body=body,
            purpose="hotline-activate" if activate else "hotline-raid-report",
            language=person.language,
        )
        sent += 1
    if not sent:
        log.warning("intake %s: nobody dispatching or on shift to tell", intake.pk)
    return sent


def _caller_number(intake: Intake, answers: dict[str, str]) -> str:
    if answers.get("callback_number"):
        return answers["callback_number"]
    if intake.call is not None and intake.call.from_number:
        try:
            return normalize_phone(intake.call.from_number)
        except ValidationError:
            return ""
    return ""


def referral_text(*, organization: Organization, language: str) -> str:
    with translation.override(language):
        details = ", ".join(x for x in (organization.phone, organization.address) if x)
        return _("%(network)s hotline: %(name)s%(details)s. %(disclaimer)s") % {
            "network": organization.network.name[:40],
            "name": organization.name,
            "details": f" — {details}" if details else "",
            "disclaimer": _("This is general information, not legal advice."),
        }


@transaction.atomic
def intake_finish(
    *,
    intake: Intake,
    actor: User,
    outcome: str,
    answers: dict[str, Any],
    referral: Organization | None = None,
    callback_due: datetime | None = None,
) -> Finished:
    """Carry out the outcome; a ValidationError (translated) if it lacks what it needs."""
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    cleaned = answers_clean(situation=intake.situation, answers=answers)
    errors: dict[str, str] = {
        key: _("This outcome needs this answer.")
        for key in answers_missing(outcome=outcome, answers=cleaned)
    }
    if outcome == Outcome.REFERRAL and (
        referral is None or referral.network_id != intake.network_id
    ):
        errors["referral"] = _("Choose an organization from the directory.")
    if outcome == Outcome.CALLBACK and callback_due is None:
        errors["callback_due"] = _("Say when to call back.")
    if errors:
        raise ValidationError(errors)

    intake.answers = {} if outcome == Outcome.NONE else cleaned
    intake.outcome = outcome
    intake.referral = referral if outcome == Outcome.REFERRAL else None
    intake.finished_at = timezone.now()
    intake.save(update_fields=["answers", "outcome", "referral", "finished_at"])
    result = Finished(intake=intake)

    if outcome in (Outcome.ACTIVATE, Outcome.RAID_REPORT):
        # lands on the reports console, in an incident
        report = import_string(settings.INTAKE_REPORT_HOOK)(intake)
        result.notified = team_notify(
            intake=intake, where=cleaned.get("where", ""), incident_id=report.incident_id
        )
    elif outcome == Outcome.REFERRAL and referral is not None:
        number = _caller_number(intake, cleaned)
        if number and sms_channel():
            outbox_write(
                network=intake.network,
                channel=sms_channel(),
                to=number,
                body=referral_text(organization=referral, language=intake.language),
                purpose="hotline-referral",
                language=intake.language,
            )
            result.caller_texted = True
    elif outcome == Outcome.CALLBACK:
        result.callback = Callback.objects.create(
            network=intake.network,
            call=intake.call,
            conversation=intake.conversation,
            intake=intake,
            due_at=callback_due or timezone.now(),
            assigned_to=actor,
        )
    audit_record(
        action=AuditEvent.Action.UPDATE,
        actor=actor,
        obj=intake,
        fields=["answers", "outcome"],
        note=f"outcome={outcome} notified={result.notified}",
    )
    return result
