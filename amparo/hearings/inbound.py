"""Texts about hearings, one handler of ``settings.INBOUND_HANDLERS``. The four-digit code
makes each keyword unmistakable (no other handler claims these words):

- CORTE/COURT 4821 — the sender goes with the family; NO CORTE 4821 — no longer;
- RESULTADO/RESULT 4821 n [date [time]] — the outcome (n as listed in the text that asked
  for it); after 1 (a new date) the date, D/M in Spanish and M/D in English, and the
  time (the hearing's own when left out).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from amparo.channels import inbound
from amparo.lib.crypto.blind import fold
from amparo.people.identity import text_sender
from amparo.people.models import Person

from .models import Accompaniment, Hearing
from .services import GOING, OUTCOMES, accompany, hearing_outcome, hearing_text, hearing_when

HANDLER = "hearings"
SIGN = re.compile(r"^(no\s+)?(?:corte|court)\s+(\d{4})$")
RESULT = re.compile(
    r"^(?:resultado|result)\s+(\d{4})\s+(\d)"
    r"(?:\s+(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?(?:\s+(\d{1,2})[:.h](\d{2}))?)?\b"
)


def next_date(hearing: Hearing, parts: tuple[Any, ...], language: str) -> datetime | None:
    """The new date of a reply, in the network's zone; None when none was given."""
    first, second, year, hour, minute = parts
    if first is None:
        return None
    day, month = (int(first), int(second)) if language == "es" else (int(second), int(first))
    zone = hearing.network.zone()
    was = timezone.localtime(hearing.starts_at, zone)
    at = time(int(hour), int(minute)) if hour else was.time()
    if year:
        return datetime.combine(date(int(year) % 100 + 2000, month, day), at, zone)
    for y in (was.year, was.year + 1):
        moment = datetime.combine(date(y, month, day), at, zone)
        if moment > was:
            return moment
    return None


def hearings_inbound(message: Any) -> inbound.Handled | None:
    body = " ".join(fold(message.body or "").replace(",", " ").split())
    sign, result = SIGN.match(body), RESULT.match(body)
    if not sign and not result:
        return None
    code = (sign or result).group(2 if sign else 1)  # type: ignore[union-attr]
    sender = text_sender(network=message.network, address=message.from_address)
    people = [p for p in sender.people if p.status != Person.Status.REMOVED]
    # Only someone asked to go (or going) answers; the outcome, only someone going.
    row = (
        Accompaniment.objects.filter(
            hearing__network=message.network, hearing__code=code, person__in=people
        )
        .select_related("hearing__network", "hearing__case", "person")
        .order_by("-hearing__starts_at")
        .first()
    )
    language = row.person.language if row is not None else sender.language
    with translation.override(language):
        if row is None or (result and row.status != row.Status.GOING):
            reply = _("We found no hearing with that code for this number.")
            return inbound.Handled(handler=HANDLER, reply=reply, language=language)
        hearing, person = row.hearing, row.person
        try:
            if sign:
                accompany(hearing=hearing, person=person, go=not sign.group(1), via="text")
                reply = (
                    _("Thank you. You are no longer going on %(when)s.")
                    % {"when": hearing_when(hearing, language)}
                    if sign.group(1)
                    else hearing_text(GOING, hearing, language)
                )
            elif result is not None:
                number = int(result.group(2))
                if not 1 <= number <= len(OUTCOMES):
                    raise ValidationError(_("Choose one of the options."))
                hearing_outcome(
                    hearing=hearing,
                    outcome=OUTCOMES[number - 1],
                    next_at=next_date(hearing, result.groups()[2:], language),
                    person=person,
                )
                reply = _("Thank you: the outcome is recorded.")
                if hearing.next_hearing is not None:
                    reply += " " + _("Next hearing: %(when)s (code %(code)s).") % {
                        "when": hearing_when(hearing.next_hearing, language),
                        "code": hearing.next_hearing.code,
                    }
        except (ValidationError, ValueError) as error:
            reply = " ".join(getattr(error, "messages", [])) or _("That date does not exist.")
        return inbound.Handled(handler=HANDLER, reply=reply, language=language)
