"""Twilio's voice engine, played on loopback for the hotline tests.

Twilio runs a call by asking Amparo for TwiML and doing what it says; this plays that
part: it POSTs to Amparo's webhooks exactly as Twilio does (form-encoded, signed with
the official ``RequestValidator`` over ``PUBLIC_URL`` + path and query) and follows the
TwiML that comes back, with the real library's XML, verb by verb:

- ``<Say>`` is heard by whoever is on that side; ``<Gather>`` on the caller's side gets
  the caller's menu key; ``<Redirect>`` is followed; ``<Record>`` takes a voicemail
  (its ``recordingStatusCallback`` and ``action`` are called) and ``<Hangup>`` ends.
- ``<Dial>`` rings every ``<Number>`` at once. Each phone is a :class:`Phone`: picks up
  after some seconds (or never, or is busy). A leg whose phone picks up first gets its
  ``statusCallback`` (``answered``) and then, when the ``<Number>`` has a ``url``, that
  whisper's TwiML runs on the leg: its ``<Gather>`` gets the key the phone presses (a
  voicemail greeting presses none), ``<Hangup>`` drops this leg only and Twilio keeps
  ringing the others; a whisper that runs to its end connects the leg to the caller,
  and the legs still ringing are cancelled. A ``<Number>`` without ``url`` is connected
  as soon as its phone picks up — whoever or whatever picked up.
- When the ``<Dial>`` is over, its ``action`` gets ``DialCallStatus``: ``completed``
  when a leg was connected or picked up (a leg that picked up and was hung up counts:
  the harder case for Amparo), else ``no-answer``; the TwiML it returns goes on.
- When the call ends, the number's status callback (``twilio_status``) says so.
- ``bins`` are static TwiML Bins (URL → document) served by Twilio itself, as the
  fallback for when Amparo is down (``FALLBACK.md``); :meth:`TwilioVoice.call` with
  ``twiml`` starts from such a document instead of Amparo's voice webhook.

Legs are taken in the order their phones pick up; a whisper is over before the next
phone picks up (a voicemail picks up after a few rings, a person a little later).
"""

from __future__ import annotations

import itertools
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.test import Client
from django.urls import reverse

from .conftest import PUBLIC_URL, sign

MAX_STEPS = 40


def _parse(twiml: str) -> ET.Element:
    # Amparo's own TwiML, made by the twilio library in this test process: not untrusted.
    return ET.fromstring(twiml)  # noqa: S314


@dataclass(frozen=True)
class Phone:
    """How a responder's phone behaves when it rings."""

    picks_up_after: float | None = None  # seconds; None: rings out
    presses: str = ""  # the key pressed when asked ("": a voicemail, or nobody listening)
    busy: bool = False


#: A responder's voicemail: picks up after a few rings, plays a greeting, never presses.
VOICEMAIL = Phone(picks_up_after=4)


@dataclass
class Leg:
    number: str
    sid: str
    events: list[str] = field(default_factory=list)
    heard: list[str] = field(default_factory=list)


@dataclass
class CallRecord:
    """What happened on the call, as Twilio would know it."""

    caller_heard: list[str] = field(default_factory=list)
    legs: list[Leg] = field(default_factory=list)
    connected_to: str | None = None
    voicemail_left: bool = False

    def leg(self, number: str) -> Leg:
        return next(leg for leg in self.legs if leg.number == number)


class TwilioVoice:
    """One fake Twilio account's voice side, posting to Amparo through ``client``, or
    over real HTTP to a running server at ``server`` (e.g. pytest-django's live server):
    the requests Twilio makes, on loopback, through Amparo's whole web stack."""

    def __init__(
        self,
        phones: dict[str, Phone],
        client: Client | None = None,
        bins: dict[str, str] | None = None,
        server: str = "",
    ) -> None:
        self.phones = phones
        self.server = server.rstrip("/")
        self.client = client or Client()
        self.bins = bins or {}
        self._sids = itertools.count(1)

    def sid(self, prefix: str) -> str:
        return f"{prefix}{next(self._sids):032x}"

    def post(self, url: str, params: dict[str, str]) -> str:
        if url in self.bins:
            return self.bins[url]
        assert url.startswith(PUBLIC_URL), url
        path = url[len(PUBLIC_URL) :]
        headers = {"X-Twilio-Signature": sign(url, params)}
        if self.server:  # over HTTP: Twilio signs the public URL, it reaches this server
            request = urllib.request.Request(  # noqa: S310 - http:// on loopback
                self.server + path,
                data=urlencode(params).encode(),
                headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
            )
            with urllib.request.urlopen(request, timeout=20) as answer:  # noqa: S310 - loopback
                assert answer.status in (200, 204), (path, answer.status)
                return str(answer.read().decode())
        response = self.client.post(
            path,
            urlencode(params),
            content_type="application/x-www-form-urlencoded",
            headers=headers,
        )
        assert response.status_code in (200, 204), (path, response.status_code)
        return response.content.decode()

    # -- the caller's call --------------------------------------------------------------

    def call(self, *, caller: str, hotline: str, menu_key: str = "", twiml: str = "") -> CallRecord:
        sid = self.sid("CA")
        record = CallRecord()
        base = {"CallSid": sid, "From": caller, "To": hotline}
        amparo = not twiml
        if amparo:
            twiml = self.post(
                PUBLIC_URL + reverse("twilio_voice"), {**base, "CallStatus": "ringing"}
            )
        for _step in range(MAX_STEPS):
            nxt = self._run_caller(twiml, base, record, menu_key)
            if nxt is None:
                break
            twiml = nxt
        else:  # pragma: no cover - a loop in the call flow
            raise AssertionError("the call flow does not end")
        if not amparo:
            return record
        self.post(
            PUBLIC_URL + reverse("twilio_status"),
            {**base, "CallStatus": "completed", "CallDuration": "60"},
        )
        return record

    def _run_caller(
        self, twiml: str, base: dict[str, str], record: CallRecord, menu_key: str
    ) -> str | None:
        """Run one TwiML document on the caller's side; the next document, or None."""
        params = {**base, "CallStatus": "in-progress"}
        for verb in _parse(twiml):
            if verb.tag == "Say":
                record.caller_heard.append(verb.text or "")
            elif verb.tag == "Gather":
                record.caller_heard.extend(s.text or "" for s in verb if s.tag == "Say")
                if menu_key:
                    return self.post(verb.attrib["action"], {**params, "Digits": menu_key})
            elif verb.tag == "Redirect":
                return self.post(verb.text or "", params)
            elif verb.tag == "Dial":
                status = self._dial(verb, base["CallSid"], base["From"], record)
                if "action" in verb.attrib:
                    return self.post(verb.attrib["action"], {**params, "DialCallStatus": status})
                if record.connected_to:
                    return None  # they talked; the call ends when they hang up
                # no action: the document goes on after the <Dial>
            elif verb.tag == "Record":
                record.voicemail_left = True
                self.post(
                    verb.attrib["recordingStatusCallback"],
                    {
                        **params,
                        "RecordingSid": self.sid("RE"),
                        "RecordingStatus": "completed",
                        "RecordingDuration": "31",
                    },
                )
                return self.post(verb.attrib["action"], {**params, "RecordingDuration": "31"})
            elif verb.tag == "Hangup":
                return None
        return None

    # -- the responders' legs -----------------------------------------------------------

    def _dial(self, dial: ET.Element, parent: str, caller: str, record: CallRecord) -> str:
        timeout = float(dial.attrib.get("timeout", "30"))
        numbers = [n for n in dial if n.tag == "Number"]
        legs = [(n, Leg(number=(n.text or "").strip(), sid=self.sid("CA"))) for n in numbers]
        record.legs.extend(leg for _n, leg in legs)
        for _n, leg in legs:
            leg.events.append("rang")

        def pick_up_time(item: tuple[ET.Element, Leg]) -> float:
            phone = self.phones.get(item[1].number, Phone())
            return phone.picks_up_after if phone.picks_up_after is not None else float("inf")

        connected: Leg | None = None
        picked_up = False
        for number, leg in sorted(legs, key=pick_up_time):
            phone = self.phones.get(leg.number, Phone())
            child = {"CallSid": leg.sid, "ParentCallSid": parent, "From": caller, "To": leg.number}
            if connected is not None:
                leg.events.append("cancelled")
                self._leg_status(number, child, "canceled")
            elif phone.busy:
                leg.events.append("busy")
                self._leg_status(number, child, "busy")
            elif phone.picks_up_after is None or phone.picks_up_after > timeout:
                leg.events.append("no-answer")
                self._leg_status(number, child, "no-answer")
            else:
                picked_up = True
                leg.events.append("picked-up")
                self._leg_status(number, child, "in-progress", event="answered")
                url = number.attrib.get("url")
                whisper = self.post(url, {**child, "CallStatus": "in-progress"}) if url else ""
                if self._whisper(whisper, child, phone, leg):
                    connected = leg
                    leg.events.append("connected")
                    record.connected_to = leg.number
                else:
                    leg.events.append("hung-up")
                    self._leg_status(number, child, "completed")
        if connected is not None or picked_up:
            return "completed"
        return "no-answer"

    def _leg_status(
        self, number: ET.Element, child: dict[str, str], status: str, event: str = "completed"
    ) -> None:
        url = number.attrib.get("statusCallback")
        if url and event in number.attrib.get("statusCallbackEvent", "completed").split():
            self.post(url, {**child, "CallStatus": status})

    def _whisper(self, twiml: str, child: dict[str, str], phone: Phone, leg: Leg) -> bool:
        """Run the whisper on the leg: True when it ends without a hang-up (connected)."""
        if not twiml:
            return True  # no whisper: connected as soon as the phone picked up
        for _step in range(MAX_STEPS):
            nxt: str | None = None
            for verb in _parse(twiml):
                if verb.tag == "Say":
                    leg.heard.append(verb.text or "")
                elif verb.tag == "Gather":
                    leg.heard.extend(s.text or "" for s in verb if s.tag == "Say")
                    if phone.presses:
                        leg.events.append(f"pressed {phone.presses[:1]}")
                        nxt = self.post(
                            verb.attrib["action"],
                            {**child, "CallStatus": "in-progress", "Digits": phone.presses[:1]},
                        )
                        break
                elif verb.tag == "Hangup":
                    return False
                elif verb.tag in ("Dial", "Record"):  # not allowed in a whisper
                    raise AssertionError(f"<{verb.tag}> in a whisper")
            if nxt is None:
                return True
            twiml = nxt
        raise AssertionError("the whisper does not end")  # pragma: no cover
