"""Issue 12.2 / 13.2: everyone sent is told where to go, and no text relays a stranger.

- a verification text carries the workplace name, the town and Amparo's link — none of
  the report's words, no other link, no number; the verifier's link page shows the
  address, the report's words (escaped, marked unverified) and a callback number only
  if the reporter asked for one, while the request is open;
- a squad text likewise; the responder's link page shows the workplace address and a
  map link while the call-out runs, the town only once it is over;
- a dispatcher's meeting point is audited, encrypted and shown on the link page;
- the hotline's text to the team names the place safely, not as the caller said it.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amparo.accounts.models import AuditEvent
from amparo.alerts import services as alert_services
from amparo.alerts.models import Alert, AlertKind
from amparo.alerts.services import alert_cancel, alert_create, alert_launch
from amparo.channels.models import Delivery
from amparo.conftest import client_for
from amparo.hotline.tests.test_intake import dispatcher_a, responder_a  # noqa: F401
from amparo.hotline.tests.test_intake import start as start_intake
from amparo.people.defaults import install_defaults
from amparo.people.services import place_get_or_create
from amparo.reports.models import Incident, IncidentStatus, Source
from amparo.reports.services import ReportInput, report_submit
from amparo.reports.verification import verification_request
from amparo.tests.factories import PersonFactory, ResponderFactory, VerifierFactory

HOLYOKE = (42.2043, -72.6162)
HOSTILE = (
    "URGENT verifiers: go to http://evil.example and answer YES <script>alert(1)</script> "
    "Three vans and twenty agents at the loading dock; they are checking the papers of "
    "everyone on the morning shift and the manager locked the side gate, so nobody can "
    "leave the building until they finish."
)
WHERE = "Acme Packing, 1200 Industrial Rd"
CALLBACK = "+14135550199"
URL = re.compile(r"(https?://\S+|www\.\S+|\b[\w-]+\.(?:example|com|org|net)\b)", re.I)


@pytest.fixture
def holyoke(network_a):
    install_defaults(network_a)
    return place_get_or_create(
        network=network_a, name="Holyoke", latitude=HOLYOKE[0], longitude=HOLYOKE[1]
    )


def hostile_report(network, holyoke, *, source=Source.WEB, phone=CALLBACK):
    return report_submit(
        network=network,
        source=source,
        data=ReportInput(
            details={"activity": HOSTILE, "where": WHERE}, place=holyoke, reporter_phone=phone
        ),
    ).incident


def assert_safe_text(body: str) -> None:
    """Amparo's link only; no word, number or link of the report."""
    for url in URL.findall(body):
        assert url.startswith(settings.BASE_URL), (url, body)
    for word in ("URGENT", "evil", "script", "1200", "555", "0199", "go to"):
        assert word not in body, (word, body)


def test_a_verification_text_relays_no_stranger_and_its_page_shows_the_place(
    network_a, holyoke
) -> None:
    verifier = VerifierFactory.create(network=network_a, place=holyoke, language="en")
    incident = hostile_report(network_a, holyoke)
    result = verification_request(incident=incident, count=1)
    (body,) = [d.body for d in Delivery.objects.filter(purpose="verify")]
    assert_safe_text(body)
    assert "Acme Packing" in body and "Holyoke" in body and "/incidents/verify/v/" in body

    token = result.tokens[result.requests[0].pk]
    link = reverse("reports:verify_link", args=[network_a.slug, token])
    page = Client().get(link).content.decode()
    assert WHERE in page and "Holyoke" in page  # the whole address
    assert 'id="map-osm"' in page and "openstreetmap.org/search?query=Acme+Packing" in page
    # the report's words, whole, escaped, in the box marked as a stranger's
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    words = page[page.index('id="report-words"') :]
    assert "not verified" in words and "URGENT verifiers" in words and "answer YES" in words
    assert "nobody can leave the building until they finish." in words  # whole, not cut
    assert 'href="http://evil' not in page
    # the reporter asked to be called back on the web form
    assert f'href="tel:{CALLBACK}"' in page
    # answered: the page names the town and nothing more
    Client().post(link, {"answer": "unsure", "note": ""})
    over = Client().get(link).content.decode()
    assert "Holyoke" in over and "Industrial" not in over and "URGENT" not in over
    assert verifier.pk


def test_a_text_senders_number_is_not_a_callback(network_a, holyoke) -> None:
    VerifierFactory.create(network=network_a, place=holyoke, language="en")
    incident = hostile_report(network_a, holyoke, source=Source.SMS)
    result = verification_request(incident=incident, count=1)
    token = result.tokens[result.requests[0].pk]
    page = Client().get(reverse("reports:verify_link", args=[network_a.slug, token]))
    assert "tel:" not in page.content.decode() and "0199" not in page.content.decode()


def _confirmed(incident: Incident, network) -> Incident:
    verifier = PersonFactory.create(network=network, roles=["verifier"], phone="")
    Incident.objects.filter(pk=incident.pk).update(
        status=IncidentStatus.CONFIRMED, confirmed_by=verifier, confirmed_at=timezone.now()
    )
    incident.refresh_from_db()
    return incident


def _squad(network, incident, coordinator, monkeypatch) -> tuple[Alert, list[str]]:
    tokens: list[str] = []
    real = alert_services.answer_link

    def spy(token: str) -> str:
        tokens.append(token)
        return real(token)

    monkeypatch.setattr(alert_services, "answer_link", spy)
    alert = alert_create(network=network, kind=AlertKind.SQUAD, incident=incident)
    return alert_launch(alert=alert, actor=coordinator), tokens


def test_a_squad_text_is_safe_and_the_page_shows_the_address_only_while_it_runs(
    network_a, holyoke, coordinator_a, monkeypatch
) -> None:
    ResponderFactory.create(network=network_a, place=holyoke, available_now=True, language="en")
    incident = _confirmed(hostile_report(network_a, holyoke), network_a)
    alert, tokens = _squad(network_a, incident, coordinator_a, monkeypatch)
    bodies = [d.body for d in Delivery.objects.filter(alert=alert)]
    assert bodies
    for body in bodies:
        assert_safe_text(body)
        assert "Acme Packing, Holyoke" in body
    page = Client().get(f"/a/{tokens[0]}/")
    text = page.content.decode()
    assert page.status_code == 200 and WHERE in text and 'id="map-geo"' in text
    assert "URGENT" not in text and "tel:" not in text  # words and numbers: verifiers only
    alert_cancel(alert=alert, actor=coordinator_a)
    over = Client().get(f"/a/{tokens[0]}/")
    text = over.content.decode()
    assert over.status_code == 410 and "Holyoke" in text
    assert "Industrial" not in text and "Acme" not in text and "openstreetmap" not in text


def test_the_dispatchers_meeting_point_is_audited_encrypted_and_shown(
    network_a, holyoke, coordinator_a, volunteer_a, monkeypatch
) -> None:
    ResponderFactory.create(network=network_a, place=holyoke, available_now=True, language="en")
    incident = _confirmed(hostile_report(network_a, holyoke), network_a)
    url = reverse("reports:incident_meeting_point", kwargs={"pk": incident.pk})
    dispatcher = client_for(coordinator_a, language="en")
    assert 'id="meeting-point"' in dispatcher.get(f"/incidents/{incident.pk}/").content.decode()
    # a point that is not one comes back with what was typed and the reason
    refused = dispatcher.post(url, {"meeting-text": "Gas station on Main", "meeting-point": "x"})
    assert refused.status_code == 400 and "Gas station on Main" in refused.content.decode()
    assert "latitude then longitude" in refused.content.decode()
    incident.refresh_from_db()
    assert not incident.meeting_point
    # someone who cannot dispatch cannot set it
    assert client_for(volunteer_a).post(url, {"meeting-text": "x"}).status_code in (403, 404)
    saved = dispatcher.post(
        url, {"meeting-text": "Gas station on Main", "meeting-point": "42.2051, -72.6150"}
    )
    assert saved.status_code == 302
    incident.refresh_from_db()
    assert incident.meeting_point == "Gas station on Main"
    assert incident.meeting_point_point == {"lat": 42.2051, "lng": -72.615}
    raw = Incident.objects.filter(pk=incident.pk).values_list("meeting_point", flat=True)
    assert "Gas station" not in str(list(raw))  # sealed in the database
    event = AuditEvent.objects.filter(
        target_type="reports.incident", target_id=str(incident.pk), actor=coordinator_a
    ).latest("id")
    assert event.action == AuditEvent.Action.UPDATE
    assert set(event.fields) == {"meeting_point", "meeting_point_point"}
    assert "Gas" not in event.note
    # the respond page shows it read-only, with the way to change it
    respond = dispatcher.get(reverse("alerts:respond", kwargs={"incident_pk": incident.pk}))
    assert "Gas station on Main" in respond.content.decode()
    assert f"{url}?from=respond" in respond.content.decode()
    # the responder's page leads with it, and the map goes to its point
    alert, tokens = _squad(network_a, incident, coordinator_a, monkeypatch)
    page = Client().get(f"/a/{tokens[0]}/").content.decode()
    assert "Gas station on Main" in page and "mlat=42.20510" in page and WHERE in page
    for body in [d.body for d in Delivery.objects.filter(alert=alert)]:
        assert "Gas station" not in body  # the link page, not the text


def test_the_hotlines_text_to_the_team_carries_only_a_safe_where(
    network_a, responder_a, dispatcher_a, django_capture_on_commit_callbacks
) -> None:
    client = client_for(responder_a)
    intake = start_intake(client)
    typed = "Valley Poultry, URGENT go to http://evil.example, call 413 555 0199"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("hotline:intake", kwargs={"pk": intake.pk}),
            {"where": typed, "activity": "checking papers", "outcome": "raid_report"},
        )
    bodies = [d.body for d in Delivery.objects.filter(purpose="hotline-raid-report")]
    assert len(bodies) == 2
    for body in bodies:
        assert_safe_text(body)
        assert "Valley Poultry" in body and "checking papers" not in body
