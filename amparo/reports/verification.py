"""Verification (DOMAIN.md §2): ask the nearest trained verifiers — never a reporter —
and turn their answers (SMS or magic link) into the incident's outcome.

Every status change goes through ``services.incident_transition``; confirming there
refuses a reporter, and this module refuses a reporter's answer before it gets there.
The magic link's token is random; only its keyed hash is stored.
"""

from __future__ import annotations

import base64
import logging
import math
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from amparo.accounts.access import Refused
from amparo.accounts.models import Network, User
from amparo.channels import inbound
from amparo.channels.models import InboundMessage
from amparo.channels.outbox import outbox_write
from amparo.channels.registry import sms_channel
from amparo.lib import geo
from amparo.lib.crypto.blind import blind_index, fold
from amparo.people.filters import may_be_alerted_as
from amparo.people.filters import within_km as people_within_km
from amparo.people.identity import text_sender
from amparo.people.models import Person, PersonPhone, Place

from .models import Incident, IncidentStatus, VerificationRequest
from .services import (
    TRANSITIONS,
    IncidentTransitionError,
    incident_public_note,
    incident_transition,
    reporter_keys,
)
from .where import incident_text_where

log = logging.getLogger(__name__)

S = IncidentStatus
A = VerificationRequest.Answer
HANDLER = "reports.verify"
TOKEN_PURPOSE = "verify-token"  # noqa: S105 - a hash domain, not a secret
VERIFIER_ROLE = "verifier"
DEFAULT_KM = 25.0
#: channels whose senders are phone numbers
SMS_REPLY_CHANNELS = {"sandbox", "twilio_sms"}

#: the words a verifier answers with, folded (lower case, no accents)
ANSWER_WORDS: dict[str, str] = {
    "confirmado": A.CONFIRMED,
    "confirmada": A.CONFIRMED,
    "confirmo": A.CONFIRMED,
    "confirmed": A.CONFIRMED,
    "confirm": A.CONFIRMED,
    "no": A.NOT_CONFIRMED,
    "no se": A.UNSURE,
    "nose": A.UNSURE,
    "unsure": A.UNSURE,
    "not sure": A.UNSURE,
}
KEYWORDS = {
    "es": ("CONFIRMADO", "NO", "NO SÉ"),
    "en": ("CONFIRMED", "NO", "UNSURE"),
}


class VerificationClosed(Refused):
    """The request was answered already or has expired; ``message`` is for the person."""


class ReporterCannotVerify(VerificationClosed):
    pass


@dataclass
class RequestResult:
    requests: list[VerificationRequest] = field(default_factory=list)
    #: request pk → the magic link's token (only in memory: it went out by SMS)
    tokens: dict[int, str] = field(default_factory=dict)
    message: str = ""

    @property
    def found(self) -> bool:
        return bool(self.requests)


def token_hash(token: str) -> str:
    return blind_index(TOKEN_PURPOSE, token.strip())


def request_for_token(token: str) -> VerificationRequest | None:
    if not token or len(token) > 100:
        return None
    return (
        VerificationRequest.objects.filter(token_hash=token_hash(token))
        .select_related("incident__network", "verifier")
        .first()
    )


# --- who to ask ---------------------------------------------------------------------------


def _distance(person: Person, point: dict[str, float] | None) -> float:
    if point is None:
        return math.inf
    best = math.inf
    for area in person.areas.all():
        if area.point:
            lat, lng = area.point["lat"], area.point["lng"]
        elif area.place is not None:
            lat, lng = area.place.latitude, area.place.longitude
        else:
            continue
        best = min(best, geo.haversine_km(point["lat"], point["lng"], lat, lng))
    return best


def reporter_filter(incident: Incident) -> Q:
    """People who reported this incident (as themselves, as their login or by phone)."""
    people, users, phones = reporter_keys(incident)
    q = Q(pk__in=people) | Q(user_id__in=users)
    if phones:
        q |= Q(phones__number_index__in=phones)
    return q


def able_to_verify(network: Network) -> QuerySet[Person]:
    """People a verification request can go to (``may_be_alerted_as`` the verifier role:
    confirmed, a valid verifier training), reachable by SMS (people/reach.py)."""
    return may_be_alerted_as(network, [VERIFIER_ROLE]).filter(reach_sms=True)


def verifiers_near(
    *, incident: Incident, within_km: float = DEFAULT_KM, limit: int = 3
) -> list[Person]:
    """The nearest people able to verify, not already asked, never a reporter of it."""
    qs = able_to_verify(incident.network).exclude(reporter_filter(incident))
    qs = qs.exclude(pk__in=incident.verification_requests.values("verifier_id")).distinct()
    point = incident.point
    if point is not None:
        qs = people_within_km(qs, point["lat"], point["lng"], within_km)
    shortlist = list(qs.prefetch_related("areas__place").order_by("pk")[:200])
    ranked = sorted(shortlist, key=lambda p: (_distance(p, point), p.pk))
    return ranked[:limit]


def _new_code(incident: Incident) -> str:
    taken = set(
        VerificationRequest.objects.filter(
            incident__network_id=incident.network_id, answered_at__isnull=True
        ).values_list("code", flat=True)
    )
    for _attempt in range(50):
        code = str(1000 + secrets.randbelow(9000))
        if code not in taken:
            return code
    return str(10000 + secrets.randbelow(90000))


def incident_where(incident: Incident) -> str:
    """The safe "where" line of a text (workplace name, town): see ``where.py``."""
    return incident_text_where(incident)


def magic_link(incident: Incident, token: str) -> str:
    path = reverse("reports:verify_link", args=[incident.network.slug, token])
    return f"{settings.BASE_URL}{path}"


def request_text(request: VerificationRequest, token: str) -> str:
    incident = request.incident
    language = request.verifier.language if request.verifier.language in KEYWORDS else "es"
    yes, no, unsure = KEYWORDS[language]
    with translation.override(language):
        # Never the report's words or numbers: the link page shows them (threat model).
        # Plain GSM-7 punctuation: one dash would make every verification text UCS-2.
        return _(
            "%(network)s: please verify a report. Where: %(where)s. Details and map: "
            "%(link)s or reply %(yes)s / %(no)s / %(unsure)s %(code)s and a short note."
        ) % {
            "network": incident.network.name,
            "where": incident_where(incident) or _("see the link"),
            "link": magic_link(incident, token),
            "yes": yes,
            "no": no,
            "unsure": unsure,
            "code": request.code,
        }


def verification_request(
    *,
    incident: Incident,
    actor: User | None = None,
    count: int = 3,
    within_km: float = DEFAULT_KM,
) -> RequestResult:
    """Ask the ``count`` nearest trained verifiers (never a reporter) and move the
    incident to "verifying". Nobody found: a result saying so, and no status change."""
    incident.refresh_from_db()
    if incident.status != S.VERIFYING and S.VERIFYING not in TRANSITIONS.get(
        incident.status, set()
    ):
        raise IncidentTransitionError(f"{incident.status} cannot be verified")
    people = verifiers_near(incident=incident, within_km=within_km, limit=max(1, count))
    result = RequestResult()
    if not people:
        result.message = _("No trained verifier who did not report it was found within %d km.") % (
            int(within_km)
        )
        return result
    now = timezone.now()
    with transaction.atomic():
        if incident.status != S.VERIFYING:
            incident_transition(
                incident=incident, to=S.VERIFYING, actor=actor, note=f"{len(people)} asked"
            )
        for person in people:
            token = secrets.token_urlsafe(24)
            request = VerificationRequest.objects.create(
                incident=incident,
                verifier=person,
                token_hash=token_hash(token),
                code=_new_code(incident),
                sent_at=now,
                expires_at=now + timedelta(minutes=settings.VERIFY_EXPIRY_MINUTES),
            )
            result.requests.append(request)
            result.tokens[request.pk] = token
        texts = [(r, request_text(r, result.tokens[r.pk])) for r in result.requests]
    channel = sms_channel()
    for request, body in texts:
        phone = PersonPhone.objects.filter(person=request.verifier).order_by("pk").first()
        if phone is None or not channel:
            continue
        outbox_write(
            network=incident.network,
            channel=channel,
            to=phone.number,
            body=body,
            purpose="verify",
            language=request.verifier.language,
            expires_at=request.expires_at,
        )
    result.message = _("%d verifiers were asked.") % len(result.requests)
    return result


def waiting_for(person: Person | None) -> QuerySet[VerificationRequest]:
    """The requests still waiting for ``person``'s answer (none without a person)."""
    if person is None:
        return VerificationRequest.objects.none()
    return VerificationRequest.objects.filter(
        verifier=person, answered_at__isnull=True, expires_at__gt=timezone.now()
    ).select_related("incident__place")


# --- answers ------------------------------------------------------------------------------


def _is_reporter_person(incident: Incident, person: Person) -> bool:
    return Person.objects.filter(pk=person.pk).filter(reporter_filter(incident)).exists()


def _local_time(incident: Incident) -> str:
    return timezone.localtime(timezone.now(), incident.network.zone()).strftime("%H:%M")


def incident_settle(*, incident: Incident) -> Incident:
    """Decide the outcome from the answers so far (and expiries)."""
    incident.refresh_from_db()
    requests = list(incident.verification_requests.all())
    answers = [r.answer for r in requests if r.answered_at]
    now = timezone.now()
    if incident.status not in (S.VERIFYING, S.UNVERIFIED, S.UNCONFIRMED, S.FALSE_ALARM):
        return incident
    confirmer = next(
        (
            r
            for r in sorted(requests, key=lambda r: r.answered_at or now)
            if r.answer == A.CONFIRMED and not _is_reporter_person(incident, r.verifier)
        ),
        None,
    )
    if confirmer is not None:
        if incident.status == S.FALSE_ALARM:
            incident = incident_transition(incident=incident, to=S.VERIFYING, note="re-opened")
        incident = incident_transition(
            incident=incident, to=S.CONFIRMED, person=confirmer.verifier, note="verified"
        )
        if incident.public_note:
            incident_public_note(incident=incident, note="")
            incident.refresh_from_db()
        return incident
    if incident.status == S.FALSE_ALARM:
        return incident
    if A.NOT_CONFIRMED in answers:
        incident = incident_transition(incident=incident, to=S.FALSE_ALARM, note="verifier: no")
        language = (incident.network.languages or ["es"])[0]
        with translation.override(language):
            note = _("Not confirmed at %(time)s.") % {"time": _local_time(incident)}
        incident_public_note(incident=incident, note=note)
        incident.refresh_from_db()
        return incident
    pending = [r for r in requests if not r.answered_at and r.expires_at > now]
    if requests and not pending and incident.status == S.VERIFYING:
        incident = incident_transition(incident=incident, to=S.UNCONFIRMED, note="unsure/expired")
    return incident


def verification_answer(
    *,
    request: VerificationRequest,
    answer: str,
    note: str = "",
    photo: bytes | None = None,
) -> Incident:
    """Record a verifier's answer and settle the incident. Raises VerificationClosed
    (answered, expired) or ReporterCannotVerify."""
    if answer not in A.values:
        raise ValueError("unknown answer")
    incident = request.incident
    with translation.override(request.verifier.language):
        if _is_reporter_person(incident, request.verifier):
            raise ReporterCannotVerify(
                _("You reported this incident, so another verifier must check it.")
            )
        if request.answered_at:
            raise VerificationClosed(_("This request was answered already. Thank you."))
        if request.expires_at <= timezone.now():
            raise VerificationClosed(_("This request has expired."))
    now = timezone.now()
    with transaction.atomic():
        won = VerificationRequest.objects.filter(pk=request.pk, answered_at__isnull=True).update(
            answered_at=now, answer=answer
        )
        if not won:
            raise VerificationClosed(_("This request was answered already. Thank you."))
        request.refresh_from_db()
        request.note = note.strip()[:1000]
        if photo:
            request.photo = base64.b64encode(photo).decode()
        request.save(update_fields=["note", "photo"])
        return incident_settle(incident=incident)


def verification_expire() -> int:
    """Sweeper: incidents whose every request expired unanswered or unsure → unconfirmed."""
    now = timezone.now()
    ids = set(
        VerificationRequest.objects.filter(
            incident__status=S.VERIFYING, answered_at__isnull=True, expires_at__lte=now
        ).values_list("incident_id", flat=True)[:500]
    )
    moved = 0
    for incident in Incident.objects.filter(pk__in=ids):
        try:
            if incident_settle(incident=incident).status != S.VERIFYING:
                moved += 1
        except IncidentTransitionError:  # changed meanwhile
            continue
    return moved


# --- SMS answers --------------------------------------------------------------------------


def parse_answer(text: str) -> tuple[str, str, str] | None:
    """(answer, code or "", note) from "CONFIRMADO 4821 three vans", else None."""
    words = (text or "").split()
    if not words:
        return None
    folded = [re.sub(r"[^\w#]", "", fold(w)) for w in words]
    answer = ""
    used = 0
    if len(folded) >= 2 and f"{folded[0]} {folded[1]}" in ANSWER_WORDS:
        answer, used = ANSWER_WORDS[f"{folded[0]} {folded[1]}"], 2
    elif folded[0] in ANSWER_WORDS:
        answer, used = ANSWER_WORDS[folded[0]], 1
    if not answer:
        return None
    code = ""
    if used < len(folded) and re.fullmatch(r"#?\d{4,8}", folded[used]):
        code = folded[used].lstrip("#")
        used += 1
    return answer, code, " ".join(words[used:])


def verify_inbound(message: InboundMessage) -> inbound.Handled | None:
    """Inbound handler: "CONFIRMADO 4821 …" / "NO 4821" / "NO SÉ" from a verifier's phone."""
    if message.channel not in ({sms_channel(), *SMS_REPLY_CHANNELS} - {""}):
        return None
    parsed = parse_answer(message.body or "")
    if parsed is None:
        return None
    answer, code, note = parsed
    people = text_sender(network=message.network, address=message.from_address).people
    if not people:
        return None
    asked = VerificationRequest.objects.filter(
        verifier__in=people, incident__network_id=message.network_id
    ).select_related("incident__network", "verifier")
    now = timezone.now()
    open_requests = list(asked.filter(answered_at__isnull=True, expires_at__gt=now))
    language = people[0].language
    network = message.network
    with translation.override(language):
        if code:
            matching = [r for r in open_requests if r.code == code] or list(
                asked.filter(code=code).order_by("-sent_at")[:1]
            )
            if not matching:
                reply = _("%(network)s: no verification request has that code.")
                return inbound.Handled(
                    handler=HANDLER, reply=reply % {"network": network.name}, language=language
                )
            request = matching[0]
        else:
            if not open_requests:
                if not asked.exists():
                    return None  # a plain "no" from someone never asked: not ours
                reply = _("%(network)s: you have no open verification request.")
                return inbound.Handled(
                    handler=HANDLER, reply=reply % {"network": network.name}, language=language
                )
            if len(open_requests) > 1:
                reply = _("%(network)s: you have several requests; add the code, e.g. %(ex)s.")
                return inbound.Handled(
                    handler=HANDLER,
                    reply=reply
                    % {
                        "network": network.name,
                        "ex": f"{KEYWORDS.get(language, KEYWORDS['es'])[0]} "
                        f"{open_requests[0].code}",
                    },
                    language=language,
                )
            request = open_requests[0]
        try:
            verification_answer(request=request, answer=answer, note=note)
        except VerificationClosed as closed:
            return inbound.Handled(
                handler=HANDLER, reply=f"{network.name}: {closed.message}", language=language
            )
        except IncidentTransitionError:
            log.info("verification %s answered but the incident had moved on", request.pk)
        reply = _("%(network)s: thank you, your answer was recorded.") % {"network": network.name}
    return inbound.Handled(handler=HANDLER, reply=reply, language=language)


# --- the public status page ---------------------------------------------------------------


@dataclass
class StatusEntry:
    kind: str  # "confirmed" or "false_alarm"
    town: str
    at: Any


def status_entries(*, network: Network, hours: int = 48) -> list[StatusEntry]:
    """Confirmed incidents and false-alarm notes of the last ``hours``: town and time only."""
    since = timezone.now() - timedelta(hours=hours)
    incidents = (
        Incident.objects.filter(network=network)
        .filter(
            Q(status__in=[S.CONFIRMED, S.RESPONDING, S.CLOSED], confirmed_at__gte=since)
            | Q(status=S.FALSE_ALARM, public_note_at__gte=since)
        )
        .select_related("place")
        .only(
            "id", "status", "cell", "place__name", "place__kind", "confirmed_at", "public_note_at"
        )
    )
    cells = {i.cell for i in incidents if not i.place_id and i.cell}
    towns = dict(
        Place.objects.filter(network=network, kind=Place.Kind.TOWN, h3_cell__in=cells)
        .order_by("name")
        .values_list("h3_cell", "name")
    )
    entries = []
    for incident in incidents:
        town = (
            incident.place.name
            if incident.place_id and incident.place and incident.place.kind == Place.Kind.TOWN
            else towns.get(incident.cell, "")
        )
        if incident.status == S.FALSE_ALARM:
            entries.append(StatusEntry("false_alarm", town, incident.public_note_at))
        else:
            entries.append(StatusEntry("confirmed", town, incident.confirmed_at))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries
