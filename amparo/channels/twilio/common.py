"""Helpers shared by the Twilio webhooks: parameters, the called network, TwiML."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from twilio.twiml.voice_response import Gather, VoiceResponse

from amparo.accounts.models import Network
from amparo.lib.phones import normalize_phone

from .security import BadRequest, public_url, refuse  # noqa: F401 - re-exported

log = logging.getLogger(__name__)

SID = re.compile(r"^[A-Za-z]{2}[A-Za-z0-9]{1,62}$")
#: (Twilio ``language``, voice) for each language Amparo speaks.
VOICES = {"en": ("en-US", "Polly.Joanna"), "es": ("es-US", "Polly.Lupe")}


def sid_param(request: HttpRequest, name: str) -> str:
    value = (request.POST.get(name) or "").strip()
    if not SID.match(value):
        raise BadRequest(400, f"missing or malformed {name}")
    return value


def int_param(request: HttpRequest, name: str) -> int | None:
    try:
        value = int(request.POST.get(name) or "")
    except ValueError:
        return None
    return value if 0 <= value < 10**7 else None


@lru_cache(maxsize=64)  # a network's own numbers, a handful: parsing one costs ~0.2 ms
def _hotline_e164(number: str) -> str:
    try:
        return normalize_phone(number)
    except ValidationError:
        raise BadRequest(400, "malformed To number") from None


def network_for_number(number: str) -> Network:
    """The network whose hotline number was called or texted (``To``)."""
    network = Network.objects.filter(hotline_number=_hotline_e164(number or ""), is_active=True)
    if (found := network.first()) is None:
        raise BadRequest(404, "no network has this hotline number")
    return found


@lru_cache(maxsize=4)
def _network_id_sql(vendor: str) -> str:
    """The query ``network_id_for_number`` runs, built once: the ORM's compiler costs
    ~0.5 ms CPU on each webhook (issue 16); the row is read each time, never cached."""
    quote = connection.ops.quote_name
    return (
        f"SELECT {quote(str(Network._meta.pk.column))} FROM {quote(Network._meta.db_table)}"  # noqa: S608
        f" WHERE {quote('hotline_number')} = %s AND {quote('is_active')} LIMIT 1"
    )


def network_id_for_number(number: str) -> int:
    """As :func:`network_for_number`, only its id (the SMS webhook stores that alone)."""
    with connection.cursor() as cursor:
        cursor.execute(_network_id_sql(connection.vendor), [_hotline_e164(number or "")])
        row = cursor.fetchone()
    if row is None:
        raise BadRequest(404, "no network has this hotline number")
    return int(row[0])


def twiml(document: object) -> HttpResponse:
    return HttpResponse(str(document), content_type="text/xml; charset=utf-8")


def say(target: VoiceResponse | Gather, text: str, language: str) -> None:
    lang, voice = VOICES.get(language, VOICES["en"])
    target.say(text, voice=voice, language=lang)


def hang_up(response: VoiceResponse, text: str = "", language: str = "en") -> HttpResponse:
    """Say ``text`` (if any) and hang up: the TwiML answer."""
    if text:
        say(response, text, language)
    response.hangup()
    return twiml(response)


def hook_url(name: str, **query: str) -> str:
    url = public_url(reverse(name))
    if query:
        url += "?" + urlencode(query)
    return url
