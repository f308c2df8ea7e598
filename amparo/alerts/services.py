"""Alerts: create (with default templates per language), plan, approve, launch.

``alert_launch`` is the one door to sending: it enforces the reports rule (no alert beyond
verifiers for an incident a non-reporter verifier has not confirmed) and writes recipients
and outbox rows in one transaction. Member alerts wait for a second approver.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from amparo.accounts.access import Refused, members_with_capability
from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User
from amparo.accounts.roles import Cap
from amparo.channels.models import Delivery
from amparo.lib.crypto.blind import blind_index
from amparo.people.models import Person
from amparo.reports.models import Incident
from amparo.reports.where import incident_text_where

from .models import Alert, AlertKind, AlertRecipient, EscalationStep, Facility, alert_audit
from .outbox import ALERT_OVER, Row, alert_rows_write
from .planning import PlannedRecipient, channel_route, nearest_facility, plan_build

log = logging.getLogger(__name__)

TOKEN_PURPOSE = "alert-token"  # noqa: S105 - a hash domain, not a secret
#: kinds that move the incident to "responding" when launched
RESPONDING_KINDS = {AlertKind.SQUAD, AlertKind.LEGAL}
PLACEHOLDERS = ("network", "place", "facility", "address", "link", "code")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


class AlertError(Refused):
    """The alert cannot do that now; ``message`` is for the dispatcher."""


class AlreadyOut(AlertError):
    """A call-out of this kind is out for this incident: ``live`` (cancelled on its board)."""

    def __init__(self, live: Alert) -> None:
        self.live = live
        super().__init__(
            _(
                "A %(kind)s is already out for this incident (alert #%(n)s). Cancel it on "
                "the board to send it again."
            )
            % {"kind": live.get_kind_display(), "n": live.pk}
        )


class NobodyToReach(AlertError):
    """The call-out would reach nobody: it is not sent (nothing is recorded as sent)."""

    def __init__(self, kind: str) -> None:
        super().__init__(
            _(
                "The %(kind)s would reach nobody, so it was not sent and nothing was "
                "recorded. Add people who may be alerted for it, or call them directly."
            )
            % {"kind": AlertKind(kind).label}
        )


#: kinds refused when they would reach nobody (a drill or a verification request has
#: its own rules)
CALL_OUT_KINDS = {AlertKind.SQUAD, AlertKind.LEGAL, AlertKind.MEMBERS}


# --- templates ----------------------------------------------------------------------------


def default_template(kind: str, language: str, *, is_drill: bool = False) -> str:
    """The default message for a kind, in a language (gettext; the lead translates)."""
    with translation.override(language):
        if kind == AlertKind.LEGAL:
            text = _(
                "{network} VERIFIED: legal team needed at {facility}, {address}. "
                "Reply 1/YES if you go, 2/NO, or your minutes away (15). {link}"
            )
        elif kind == AlertKind.MEMBERS:
            text = _(
                "{network} VERIFIED: immigration raid confirmed in {place}. Stay safe, know "
                "your rights, do not open the door. {link}"
            )
        elif kind == AlertKind.VERIFICATION:
            text = _("{network}: please verify a report in {place}. Reply 1/YES or 2/NO. {link}")
        elif kind == AlertKind.DRILL:
            text = _(
                "{network} DRILL (not real): rapid response in {place}. "
                "Reply 1/YES, 2/NO or your minutes away (15). {link}"
            )
        else:
            text = _(
                "{network} VERIFIED: raid in {place}. Can you go? Reply 1/YES, 2/NO or your "
                "minutes away (15). {link}"
            )
        if is_drill and kind != AlertKind.DRILL:
            text = _("DRILL (not real):") + " " + text
        return str(text)


def default_templates(network: Network, kind: str, *, is_drill: bool = False) -> dict[str, str]:
    languages = list(network.languages or []) or ["es", "en"]
    for code in ("es", "en"):
        if code not in languages:
            languages.append(code)
    return {lang: default_template(kind, lang, is_drill=is_drill) for lang in languages}


def render(template: str, values: dict[str, str]) -> str:
    """Fill the known ``{placeholders}``; anything else is left as typed."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), template).strip()


def template_for(alert: Alert, language: str) -> str:
    templates = alert.templates or {}
    if templates.get(language):
        return str(templates[language])
    fallback = next((str(t) for t in templates.values() if t), "")
    return fallback or default_template(alert.kind, language, is_drill=alert.is_drill)


def alert_place(alert: Alert) -> str:
    """The alert's {place}: the safe "where" line (workplace name, town) of its incident."""
    incident = alert.incident
    if incident is None:
        return ""
    return incident_text_where(incident)


def sample_values(alert: Alert) -> dict[str, str]:
    """Placeholder values for the preview (the link and code look like the real ones)."""
    facility = alert.facility
    return {
        "network": alert.network.name,
        "place": alert_place(alert) or _("the area"),
        "facility": facility.name if facility else "",
        "address": facility.address if facility else "",
        "link": f"{settings.BASE_URL}/a/{'x' * 22}/",
        "code": "1234",
    }


# --- create, plan, approve ------------------------------------------------------------


def alert_create(
    *,
    network: Network,
    kind: str,
    actor: User | None = None,
    incident: Incident | None = None,
    facility: Facility | None = None,
    radius_km: float | None = None,
    target_going: int | None = None,
    templates: dict[str, str] | None = None,
    is_drill: bool = False,
) -> Alert:
    """A draft alert. A legal call-out without a facility gets the nearest active one."""
    if kind not in AlertKind.values:
        raise AlertError(_("Unknown alert kind."))
    if incident is not None and incident.network_id != network.pk:
        raise AlertError(_("That incident belongs to another network."))
    is_drill = is_drill or kind == AlertKind.DRILL
    if kind == AlertKind.LEGAL and facility is None and incident is not None and incident.point:
        facility = nearest_facility(network, incident.point["lat"], incident.point["lng"])
    if target_going is None:
        target_going = 2 if kind == AlertKind.LEGAL else 6
    alert = Alert(
        network=network,
        incident=incident,
        kind=kind,
        is_drill=is_drill,
        target_going=target_going,
        facility=facility,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        templates=templates or default_templates(network, kind, is_drill=is_drill),
    )
    if radius_km is not None:
        alert.radius_km = radius_km
    elif kind == AlertKind.LEGAL:
        alert.radius_km = 40.0
    alert.save()
    audit_record(action=AuditEvent.Action.CREATE, actor=actor, obj=alert, note=f"alert {kind}")
    return alert


def needs_second_approver(alert: Alert) -> bool:
    """The two-person rule for alerts to everyone: a member alert reaches every member in
    the area (tier 3), so a second person approves it — a drill too, since a drill to
    every member is still a message to every member. Any other drill needs one when its
    audience is large or reaches the everyone role (drills.drill_needs_second_approver)."""
    if alert.kind == AlertKind.MEMBERS:
        return True
    if alert.is_drill:
        from .drills import drill_needs_second_approver

        return drill_needs_second_approver(alert)
    return False


def _can_manage(user: User, network: Network) -> bool:
    return bool(members_with_capability(network, Cap.NETWORK_MANAGE, user=user))


def alert_request_approval(*, alert: Alert, actor: User | None = None) -> Alert:
    updated = Alert.objects.filter(pk=alert.pk, status=Alert.Status.DRAFT).update(
        status=Alert.Status.AWAITING_APPROVAL
    )
    if updated and getattr(actor, "is_authenticated", False):
        # An alert made without a creator takes the person asking for its approval as
        # its creator, so that they cannot be its second approver too.
        Alert.objects.filter(pk=alert.pk, created_by__isnull=True).update(created_by=actor)
    alert.refresh_from_db()
    if updated:
        alert_audit(alert, actor, "status", "approval requested")
    return alert


def alert_approve(*, alert: Alert, actor: User) -> Alert:
    """The second approval of a member alert, then its launch. The approver must be a
    different user from its creator, with NETWORK_MANAGE in the alert's network."""
    alert.refresh_from_db()
    if alert.status != Alert.Status.AWAITING_APPROVAL:
        raise AlertError(_("This alert is not waiting for approval."))
    if actor is None or actor.pk == alert.created_by_id:
        raise AlertError(_("A different person must approve this alert."))
    if not _can_manage(actor, alert.network):
        raise AlertError(_("Only a network manager can approve this alert."))
    with transaction.atomic():  # a launch refused (nobody to reach…) undoes the approval
        updated = Alert.objects.filter(
            pk=alert.pk, status=Alert.Status.AWAITING_APPROVAL, approved_by__isnull=True
        ).update(approved_by=actor, approved_at=timezone.now())
        if not updated:
            raise AlertError(_("This alert was approved meanwhile."))
        alert.refresh_from_db()
        alert_audit(alert, actor, "approved_by", "approved")
        return alert_launch(alert=alert, actor=actor)


# --- launch ---------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return blind_index(TOKEN_PURPOSE, token.strip())


def answer_link(token: str) -> str:
    return f"{settings.BASE_URL}{reverse('alert_answer', args=[token])}"


def valid_for() -> timedelta:
    return timedelta(minutes=settings.ALERT_VALID_MINUTES)


def _schedule_escalation(alert: Alert) -> int:
    """The network's policy for this kind, or the default one (escalation.py): as due rows."""
    from .escalation import escalation_schedule

    if alert.launched_at is None:
        return 0
    return escalation_schedule(alert=alert, start=alert.launched_at)


def reply_code() -> str:
    """The four digits a recipient may text back with their answer."""
    return str(1000 + secrets.randbelow(9000))


def alert_start(alert: Alert, *, valid: timedelta) -> datetime:
    """Draft or awaiting approval → sending, valid for ``valid``; a second launch loses."""
    now = timezone.now()
    won = Alert.objects.filter(
        pk=alert.pk, status__in=[Alert.Status.DRAFT, Alert.Status.AWAITING_APPROVAL]
    ).update(status=Alert.Status.SENDING, launched_at=now, expires_at=now + valid)
    if not won:
        raise AlertError(_("This alert was sent already."))
    alert.refresh_from_db()
    return now


def _launch_check(alert: Alert) -> None:
    """The reports rule, and no second launch of an alert or of a call-out already out."""
    incident = alert.incident
    if alert.kind != AlertKind.VERIFICATION:
        if incident is not None:
            from amparo.reports.services import require_alert_allowed

            require_alert_allowed(incident)
        elif not alert.is_drill:
            raise AlertError(_("Only a drill can go out without a confirmed incident."))
    if alert.status not in (Alert.Status.DRAFT, Alert.Status.AWAITING_APPROVAL):
        raise AlertError(_("This alert was sent already."))
    live = live_callout(incident, alert.kind, exclude=alert) if incident is not None else None
    if live is not None:
        # A second press of Respond must not send the whole call-out again.
        raise AlreadyOut(live)


def live_callout(incident: Incident, kind: str, *, exclude: Alert | None = None) -> Alert | None:
    """The call-out of this kind out (or waiting for its second approver) for the incident."""
    live = Alert.objects.filter(
        incident=incident,
        kind=kind,
        is_drill=False,
        status__in=[Alert.Status.SENDING, Alert.Status.AWAITING_APPROVAL],
    )
    if exclude is not None and exclude.pk:
        live = live.exclude(pk=exclude.pk)
    return live.order_by("-created_at").first()


def _recipients_save(
    alert: Alert, planned: list[PlannedRecipient], now: datetime
) -> list[tuple[AlertRecipient, str]]:
    """One saved recipient per planned person, with its answer token (only its hash stored)."""
    tokens = [secrets.token_urlsafe(16) for _p in planned]
    recipients = [
        AlertRecipient(
            alert=alert,
            person_id=p.person_id,
            tier=p.tier,
            language=p.language,
            token_hash=token_hash(token),
            code=reply_code(),
            distance_km=round(p.distance_km, 2) if p.distance_km is not None else None,
            created_at=now,
        )
        for p, token in zip(planned, tokens, strict=True)
    ]
    AlertRecipient.objects.bulk_create(recipients, batch_size=500)
    if not all(r.pk for r in recipients):  # backends without RETURNING on bulk insert
        by_person = dict(alert.recipients.values_list("person_id", "pk"))
        for r in recipients:
            r.pk = by_person[r.person_id]
    return list(zip(recipients, tokens, strict=True))


def _messages(alert: Alert) -> Callable[[str, str, str], str]:
    """``body(language, token, code)``: one recipient's text, with their link and code."""
    base = sample_values(alert)
    named_place = bool(alert_place(alert))
    templates: dict[str, str] = {}

    def body(language: str, token: str, code: str) -> str:
        if language not in templates:
            templates[language] = template_for(alert, language)
        values = {**base, "link": answer_link(token), "code": code}
        if not named_place:
            with translation.override(language):
                values["place"] = str(_("the area"))
        return render(templates[language], values)

    return body


def _outbox_rows(
    alert: Alert, planned: list[PlannedRecipient], saved: list[tuple[AlertRecipient, str]]
) -> list[Row]:
    """Every recipient's message on each routable, addressed channel, preferred first."""
    people = Person.objects.prefetch_related("phones").in_bulk([p.person_id for p in planned])
    body = _messages(alert)
    rows: list[Row] = []
    for p, (recipient, token) in zip(planned, saved, strict=True):
        person = people.get(p.person_id)
        if person is None:
            continue
        text = body(p.language, token, recipient.code)
        routes = [(channel_route(c), person.address_on(c)) for c in p.channels]
        routes = [(slug, address) for slug, address in routes if slug and address]
        rows += [
            Row(recipient, person, slug, address, text, p.language, p.tier, rank)
            for rank, (slug, address) in enumerate(routes)
        ]
    return rows


def _incident_responding(alert: Alert, actor: User | None) -> None:
    """A squad or legal call-out (not a drill) moves its confirmed incident to responding."""
    incident = alert.incident
    if incident is None or alert.kind not in RESPONDING_KINDS or alert.is_drill:
        return
    from amparo.reports.models import IncidentStatus
    from amparo.reports.services import incident_transition

    incident.refresh_from_db()
    if incident.status == IncidentStatus.CONFIRMED:
        incident_transition(
            incident=incident, to=IncidentStatus.RESPONDING, actor=actor, note=f"alert {alert.kind}"
        )


def alert_launch(*, alert: Alert, actor: User | None = None) -> Alert:
    """Send the alert (module docstring); its status is "sending", or "approval" awaiting one."""
    alert.refresh_from_db()
    _launch_check(alert)
    if needs_second_approver(alert) and alert.approved_by_id is None:
        return alert_request_approval(alert=alert, actor=actor)
    from .drills import drill_send, is_role_drill

    if is_role_drill(alert):  # a drill to roles: its recipients are planned already
        return drill_send(alert=alert, actor=actor)
    plan = plan_build(alert=alert)
    if not plan.recipients and alert.kind in CALL_OUT_KINDS and not alert.is_drill:
        raise NobodyToReach(alert.kind)  # never "sent" with 0 asked
    with transaction.atomic():
        now = alert_start(alert, valid=valid_for())
        saved = _recipients_save(alert, plan.recipients, now)
        rows = _outbox_rows(alert, plan.recipients, saved)
        alert_rows_write(alert=alert, rows=rows)
        _incident_responding(alert, actor)
        steps = _schedule_escalation(alert)
        alert_audit(
            alert,
            actor,
            "status",
            f"launched {alert.kind}: {len(saved)} recipients, {len(rows)} rows, {steps} steps",
        )
    return alert


@dataclass(frozen=True)
class CallOut:
    """One call-out the dispatcher asked for on the Respond page."""

    kind: str
    facility: Facility | None = None
    radius_km: float | None = None
    target_going: int | None = None
    templates: dict[str, str] | None = None


def callouts_send(*, incident: Incident, callouts: list[CallOut], actor: User) -> list[Alert]:
    """Create and launch the incident's call-outs, all or none. A refusal (the reports
    rule, a call-out of the kind already out, one that would reach nobody) raises and
    leaves nothing behind: no draft in the timeline, no audit record, no text."""
    launched: list[Alert] = []
    with transaction.atomic():  # texts leave on commit only (the outbox's on_commit)
        for c in callouts:
            live = live_callout(incident, c.kind)
            if live is not None:  # before anything is written
                raise AlreadyOut(live)
            alert = alert_create(
                network=incident.network,
                kind=c.kind,
                actor=actor,
                incident=incident,
                facility=c.facility,
                radius_km=c.radius_km,
                target_going=c.target_going,
                templates=c.templates,
            )
            launched.append(alert_launch(alert=alert, actor=actor))
    return launched


#: the stop reasons a dispatcher's cancel and an incident's close record (codes)
CANCELLED_BY_DISPATCHER = "cancelled"
INCIDENT_CLOSED = "incident closed"


def alert_cancel(
    *, alert: Alert, actor: User | None = None, reason: str = CANCELLED_BY_DISPATCHER
) -> int:
    """Stop an alert (sending or awaiting approval): nothing queued is sent, no escalation
    step fires; audited. Returns how many queued messages were stopped."""
    with transaction.atomic():
        changed = Alert.objects.filter(
            pk=alert.pk,
            status__in=[Alert.Status.SENDING, Alert.Status.AWAITING_APPROVAL, Alert.Status.DRAFT],
        ).update(status=Alert.Status.CANCELLED, finished_at=timezone.now())
        stopped = Delivery.objects.filter(
            alert=alert, status=Delivery.Status.QUEUED, sent_at__isnull=True
        ).update(status=Delivery.Status.EXPIRED, error=ALERT_OVER, claimed_at=None)
        EscalationStep.objects.filter(alert=alert, done_at__isnull=True).update(
            done_at=timezone.now(), result=reason[:60]
        )
    if changed:
        alert_audit(alert, actor, "status", f"{reason} stopped={stopped}")
    alert.refresh_from_db()
    return stopped


def incident_alerts_cancel(*, incident: Incident, actor: User | None = None) -> int:
    """An incident closed or merged away: its alerts still going out are stopped."""
    stopped = 0
    for alert in Alert.objects.filter(incident=incident, status=Alert.Status.SENDING):
        stopped += alert_cancel(alert=alert, actor=actor, reason=INCIDENT_CLOSED)
    return stopped
