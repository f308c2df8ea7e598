"""Everyone sent is told where to go (issue 12 point 2, issue 13 point 2), by clicks.

The dispatcher logs in → the dashboard → the confirmed incident → sets a meeting point
→ "Send the squad…" (the Respond page shows the meeting point read-only) → preview →
send. Then a responder's phone (390 px) opens the link its text carried — that link is
the phone's first page, as the login page is the dispatcher's — and sees the meeting
point, the workplace address and a map link, and none of the stranger's words; a
verifier's phone sees the report's words in the box marked unverified.

Screenshots per step in var/test/e2e-where/."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from amparo.alerts import services as alert_services
from amparo.alerts.demo import seed_alerts
from amparo.conftest import make_network, make_user
from amparo.people.services import place_get_or_create
from amparo.reports.models import Incident
from amparo.reports.services import ReportInput, incident_transition, report_submit
from amparo.reports.verification import verification_request
from amparo.tests.factories import ResponderFactory, VerifierFactory

from .conftest import ARTEFACTS, chromium, enrol_authenticator, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SLUG = "e2e-where"
HOLYOKE = (42.2043, -72.6162)
WORKPLACE = "Empacadora Ficticia, calle Canal 1200, junto al puente"
HOSTILE = "URGENT verifiers: go to http://evil.example and answer YES"
MEETING = "Gasolinera de la calle Main, lado norte"
OUT = ARTEFACTS / "e2e-where"


def _seed():
    network = make_network(SLUG, "Red de Respuesta E2E")
    dispatcher = make_user(network, "dispatch@where.example", ["dispatcher"], name="Dee")
    holyoke = place_get_or_create(
        network=network, name="Holyoke", latitude=HOLYOKE[0], longitude=HOLYOKE[1]
    )
    verifiers = [
        VerifierFactory.create(
            network=network,
            name=f"Persona 017{n}",
            phone=f"+1413555017{n}",
            place=holyoke,
            trained=timezone.localdate() - timedelta(days=30),
        )
        for n in range(2)
    ]
    report = report_submit(
        network=network,
        source="web",
        data=ReportInput(
            details={"activity": HOSTILE, "where": WORKPLACE},
            place=holyoke,
            reporter_phone="+14135550199",
        ),
    )
    assert report.incident is not None
    # one verifier is asked (their link is kept), another one confirmed
    asked = verification_request(incident=report.incident, count=1)
    verify_token = asked.tokens[asked.requests[0].pk]
    confirmer = next(v for v in verifiers if v != asked.requests[0].verifier)
    incident = incident_transition(incident=report.incident, to="confirmed", person=confirmer)
    seed_alerts(network)
    ResponderFactory.create(
        network=network,
        name="Persona 0180",
        phone="+14135550180",
        place=holyoke,
        available_now=True,
    )
    return network, dispatcher, incident, verify_token


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def test_the_squad_is_told_where_to_go(live_server: LiveServer, monkeypatch) -> None:
    network, dispatcher, incident, verify_token = _seed()
    app = enrol_authenticator(dispatcher)
    tokens: list[str] = []
    real = alert_services.answer_link

    def spy(token: str) -> str:
        tokens.append(token)
        return real(token)

    monkeypatch.setattr(alert_services, "answer_link", spy)
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()

    with chromium() as browser:
        context = browser.new_context(
            base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        try:
            log_in(page, dispatcher.email, app)  # the last page.goto: clicks from here on
            page.locator("section[aria-labelledby=card-incidents]").get_by_role(
                "link", name=re.compile(rf"Incident {incident.pk}\b")
            ).click()
            expect(page).to_have_url(re.compile(rf"/incidents/{incident.pk}/$"))
            expect(page.locator("#meeting-point")).to_be_visible()
            page.locator("#id_meeting-text").fill(MEETING)
            page.locator("#id_meeting-point").fill("nowhere")
            page.locator("#meeting-point-save").click()
            # refused, with what was typed still there and the reason
            expect(page.locator("#id_meeting-text")).to_have_value(MEETING)
            expect(page.locator(".error")).to_contain_text("latitude then longitude")
            _shot(page, "1-meeting-point-refused")
            page.locator("#id_meeting-point").fill("42.2051, -72.6150")
            page.locator("#meeting-point-save").click()
            expect(page).to_have_url(re.compile(rf"/incidents/{incident.pk}/#meeting-point$"))
            expect(page.locator("#meeting-point-now")).to_contain_text(MEETING)
            _shot(page, "2-meeting-point-saved")
            page.locator("#send-help").click()
            expect(page.locator("#meeting-point-readonly")).to_contain_text(MEETING)
            _shot(page, "3-respond")
            page.get_by_role("button", name="Preview plan").click()
            page.get_by_role("button", name="Send").click()
            expect(page).to_have_url(re.compile(rf"/alerts/board/incident/{incident.pk}/$"))
            _shot(page, "4-board")
        except Exception:
            _shot(page, "failure")
            raise
        finally:
            context.close()

        phone = browser.new_context(
            base_url=live_server.url, locale="es-US", viewport={"width": 390, "height": 844}
        )
        page = phone.new_page()
        try:
            assert tokens, "the squad text carried a link"
            page.goto(f"/a/{tokens[0]}/")  # the link in the responder's text
            expect(page.locator("#place-meeting-point")).to_have_text(MEETING)
            expect(page.locator("#place-workplace")).to_have_text(WORKPLACE)
            expect(page.locator("#map-geo")).to_have_attribute("href", re.compile(r"^geo:42\.2051"))
            expect(page.locator("#report-words")).to_have_count(0)
            assert "evil" not in page.content()
            _shot(page, "5-responder-phone")
            page.get_by_role("button", name="Voy").click()
            expect(page.locator("#answer-done")).to_be_visible()
            _shot(page, "6-responder-going")

            page.goto(f"/incidents/verify/v/{SLUG}/{verify_token}/")  # the verifier's text
            expect(page.locator("#place-workplace")).to_have_text(WORKPLACE)
            words = page.locator("#report-words")
            expect(words).to_contain_text(HOSTILE)
            expect(words.locator("a")).to_have_count(0)  # the stranger's link is not a link
            expect(page.locator("a[href^='tel:']")).to_have_count(1)
            _shot(page, "7-verifier-phone")
        except Exception:
            _shot(page, "failure-phone")
            raise
        finally:
            phone.close()

    incident = Incident.objects.get(pk=incident.pk)
    assert incident.meeting_point == MEETING
