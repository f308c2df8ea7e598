"""Canary names and numbers pushed through the real flows (sign-up, a public report, a
hotline text conversation, a verification request, an alert launch, a 404 and a 500)
never reach a log record at any level, nor the body of an error page."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import include, path, reverse
from django.utils import timezone

from amparo.alerts.models import AlertKind
from amparo.alerts.services import alert_create, alert_launch
from amparo.channels.models import Delivery
from amparo.channels.outbox import outbox_drain
from amparo.channels.sandbox.models import SandboxThread
from amparo.channels.sandbox.services import sandbox_reply
from amparo.channels.services import inbound_receive
from amparo.conftest import client_for
from amparo.people import antiabuse
from amparo.people.defaults import install_defaults
from amparo.people.services import PersonData, person_upsert, place_get_or_create
from amparo.reports.models import Incident, IncidentStatus
from amparo.reports.verification import verification_request

FIRST, LAST = "Zeferina", "Canariova"
NAME = f"{FIRST} {LAST}"
NUMBERS = {
    "signup": "+14135550177",
    "report": "+14135550178",
    "hotline": "+14135550179",
    "verifier": "+14135550176",
    "responder": "+14135550175",
}
RESPONDER = "Bonifacia Gorrionera"
VERIFIER = "Eustaquia Jilguerova"


def _number_forms(e164: str) -> list[str]:
    digits = e164.lstrip("+")
    national = digits[1:]
    return [
        e164,
        digits,
        national,
        f"({national[:3]}) {national[3:6]}-{national[6:]}",
        f"{national[:3]}-{national[3:6]}-{national[6:]}",
        national[3:],  # the subscriber part alone
    ]


def _needles() -> list[str]:
    words = [NAME, FIRST, LAST, *RESPONDER.split(), *VERIFIER.split()]
    for number in NUMBERS.values():
        words += _number_forms(number)
    return words


_PLAIN = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__)


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.texts: list[str] = []
        self._seen: set[int] = set()
        self.formatter_ = logging.Formatter("%(name)s %(levelname)s %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        if id(record) in self._seen:  # attached to a logger and its parent: once is enough
            return
        self._seen.add(id(record))
        parts = [self.formatter_.format(record), repr(record.args), str(record.msg)]
        for key, value in vars(record).items():
            # Django attaches the request object itself; the configured formatter never
            # prints it (its repr holds the query string, so no handler may print it).
            if key not in _PLAIN and key != "request":
                parts.append(f"{key}={value!r}")  # extra= fields
        self.texts.append("\n".join(parts))


LOGGERS = ["", "django", "django.request", "django.server", "huey", "amparo"]


@pytest.fixture
def captured() -> Iterator[_Capture]:
    handler = _Capture()
    saved = []
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level, logger.disabled))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
    try:
        yield handler
    finally:
        for logger, level, disabled in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.disabled = disabled


def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("forced failure for the log canary test")


urlpatterns = [path("canary-boom/", _boom), path("", include("amparo.urls"))]


def _pow_fields(client: Client, url: str) -> dict[str, str]:
    page = client.get(url)
    assert page.status_code == 200
    found = re.search(r'name="pow_challenge" value="([^"]+)"', page.content.decode())
    assert found
    challenge = found.group(1)
    nonce = antiabuse.pow_solve(challenge=challenge, bits=antiabuse.challenge_bits(challenge))
    return {"pow_challenge": challenge, "pow_nonce": str(nonce)}


def _send_queued() -> None:
    for sender in set(Delivery.objects.filter(status="queued").values_list("sender", flat=True)):
        outbox_drain(sender=sender)


@pytest.mark.django_db
def test_no_canary_reaches_a_log_or_an_error_page(network_a, coordinator_a, captured, settings):
    settings.SIGNUP_POW_BITS = 4
    settings.SIGNUP_NOJS_MIN_AGE = 0
    install_defaults(network_a)
    holyoke = place_get_or_create(
        network=network_a, name="Holyoke", latitude=42.2043, longitude=-72.6162
    )
    logging.getLogger("amparo").debug("canary capture is live")  # the handler works

    # 1. public sign-up, then the SMS "SÍ" reply
    client = Client()
    signup = reverse("signup", kwargs={"network_slug": network_a.slug})
    response = client.post(
        signup,
        {
            "name": NAME,
            "phone": _number_forms(NUMBERS["signup"])[3],
            "email": "",
            "confirm_by": "sms",
            "language": "es",
            "consent": "on",
            "place": str(holyoke.pk),
            "roles": ["rapid-responder"],
            **_pow_fields(client, signup),
        },
    )
    assert response.status_code == 302
    _send_queued()
    thread = next(t for t in SandboxThread.objects.all() if t.number == NUMBERS["signup"])
    sandbox_reply(thread=thread, body="Sí")
    _send_queued()

    # 2. a public report with a call-back number and a name in the free text
    report_url = reverse("report_form", kwargs={"network": network_a.slug})
    response = client.post(
        report_url,
        {
            "activity": f"agents took {NAME}",
            "place": holyoke.pk,
            "where": f"{LAST} house",
            "callback": _number_forms(NUMBERS["report"])[3],
            "time": "now",
            **_pow_fields(client, report_url),
        },
    )
    assert response.status_code == 302

    # 3. a hotline text conversation
    for i, body in enumerate([f"hola soy {NAME}", f"mi número {NUMBERS['hotline']}", "ayuda"]):
        inbound_receive(
            network=network_a,
            channel="sandbox",
            from_address=NUMBERS["hotline"],
            body=body,
            provider_ref=f"canary-{i}",
        )
    _send_queued()

    # 4. a verification request to a trained verifier, answered by text
    person_upsert(
        network=network_a,
        data=PersonData(
            name=VERIFIER,
            phones=[NUMBERS["verifier"]],
            roles=["verifier"],
            places=[holyoke.pk],
            language="es",
            status="active",
            trainings=[("verifier", timezone.localdate())],
        ),
    )
    incident = Incident.objects.filter(network=network_a).first()
    assert incident is not None
    result = verification_request(incident=incident, count=1)
    assert result.found
    _send_queued()
    code = result.requests[0].code
    inbound_receive(
        network=network_a,
        channel="sandbox",
        from_address=NUMBERS["verifier"],
        body=f"CONFIRMADO {code} {NAME} detenida",
        provider_ref="canary-verify",
    )
    _send_queued()

    # 5. a squad alert launched on the confirmed incident, every text sent
    person_upsert(
        network=network_a,
        data=PersonData(
            name=RESPONDER,
            phones=[NUMBERS["responder"]],
            roles=["rapid-responder"],
            places=[holyoke.pk],
            language="es",
            status="active",
            trainings=[("rapid-responder", timezone.localdate())],
        ),
    )
    incident.refresh_from_db()
    if incident.status != IncidentStatus.CONFIRMED:
        incident.status = IncidentStatus.CONFIRMED
        incident.confirmed_at = timezone.now()
        incident.save()
    alert = alert_create(network=network_a, kind=AlertKind.SQUAD, incident=incident)
    alert_launch(alert=alert, actor=coordinator_a)
    assert Delivery.objects.filter(alert=alert).exists()
    _send_queued()

    # 6. a 404 and a forced 500, with canaries in the query and the posted body
    pages = []
    with override_settings(DEBUG=False, ROOT_URLCONF=__name__):
        raw = client_for(coordinator_a)
        raw.raise_request_exception = False
        missing = raw.get("/no-such-page/", {"name": NAME, "phone": NUMBERS["signup"]})
        assert missing.status_code == 404
        failed = raw.post("/canary-boom/", {"name": NAME, "phone": NUMBERS["signup"]})
        assert failed.status_code == 500
        pages = [missing.content.decode(), failed.content.decode()]

    logs = "\n".join(captured.texts)
    assert "canary capture is live" in logs and len(captured.texts) >= 2
    assert "Internal Server Error" in logs  # django.request was captured
    for needle in _needles():
        assert needle not in logs, f"{needle!r} reached a log record"
        for page in pages:
            assert needle not in page, f"{needle!r} is on an error page"
