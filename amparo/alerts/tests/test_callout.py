"""Issue 12 point 3: a legal call-out that can go to nobody, silently.

1. a plan below its target says so on the preview, above the form: reach against target,
   why, and what escalation will do and when (in words and clock times);
2. a call-out that reaches nobody is not sent (nothing shows as sent with 0 / 2);
3. refused tries leave nothing behind (no draft alert, no audit record, no text);
4. a call-out can be cancelled (its pending texts stop through the outbox's own stop),
   audited and on the timeline, and sent again; "already out" names the live one;
5. the demo seeds attorneys: a legal call-out in the demo reaches two for the facility.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from amparo.accounts.models import AuditEvent
from amparo.alerts.demo import seed_alerts
from amparo.alerts.models import Alert, AlertKind, AlertRecipient, EscalationStep
from amparo.alerts.outbox import ALERT_OVER, stop_reason
from amparo.alerts.services import AlertError, alert_approve, alert_create, alert_launch
from amparo.channels.models import Delivery
from amparo.conftest import client_for, make_user
from amparo.people.models import Person
from amparo.reports.models import IncidentStatus
from amparo.tests.factories import PersonFactory, ResponderFactory

from .test_planning import area, confirmed_incident  # noqa: F401

pytestmark = pytest.mark.django_db


def _form(**extra: str) -> dict[str, str]:
    data = {"squad_target": "6", "radius_km": "8", "action": "preview"}
    data.update(extra)
    return data


def _url(incident) -> str:
    return reverse("alerts:respond", kwargs={"incident_pk": incident.pk})


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize(
    ("language", "reach", "nobody", "widen"),
    [
        (
            "en",
            "It will reach 1; 6 are needed going.",
            "Nobody in the network holds the role “Attorney”.",
            "If fewer than 6 are going: ask more responders within 15 km",
        ),
        (
            "es",
            "Llegará a 1; se necesitan 6 que vayan.",
            "Nadie en la red tiene el rol «Abogado/a».",
            "Si van menos de 6: pedir a más personas de respuesta a menos de 15 km",
        ),
    ],
)
def test_a_plan_below_its_target_says_so_above_the_form_with_escalation_in_words(
    network_a,
    area,  # noqa: F811
    coordinator_a,
    language,
    reach,
    nobody,
    widen,
) -> None:
    seed_alerts(network_a)  # a facility and the default escalation policies
    ResponderFactory.create(network=network_a, place=area["holyoke"], available_now=True)
    ResponderFactory.create(network=network_a, place=area["chicopee"], status="signed_up")
    incident = confirmed_incident(network_a, place=area["holyoke"])
    client = client_for(coordinator_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.post(_url(incident), _form(squad="on", legal="on"))
    assert page.status_code == 200
    html = page.content.decode()
    # said before the form (not far down the page), as an alert
    squad = html.index('data-shortfall="squad"')
    assert squad < html.index('id="respond-form"')
    assert html.index('data-shortfall="legal"') < html.index('id="respond-form"')
    text = _text(html)
    assert reach in text  # reach against the target
    assert "1 " + ("sin confirmar" if language == "es" else "not yet confirmed") in text
    assert nobody in text  # the legal team: nobody holds the role
    assert widen in text  # the squad's escalation, in words …
    assert re.search(r"\(\d\d:\d\d\)", text)  # … and clock times
    assert re.search(r"(After|Al cabo de) 20 (minutes|minutos)", text)  # the last step
    # a call-out that reaches nobody cannot be sent from this preview
    assert 'id="respond-send"' not in html and 'id="respond-send-blocked"' in html
    assert not Alert.objects.exists()


def test_a_callout_that_reaches_nobody_is_not_sent(network_a, area, coordinator_a) -> None:  # noqa: F811
    seed_alerts(network_a)
    PersonFactory.create(
        network=network_a, place=area["chicopee"], roles=["attorney"], status="signed_up"
    )
    incident = confirmed_incident(network_a, place=area["holyoke"])
    client = client_for(coordinator_a)
    response = client.post(_url(incident), _form(legal="on", action="send"))
    assert response.status_code == 400
    assert "would reach nobody, so it was not sent" in _text(response.content.decode())
    assert not Alert.objects.exists()
    assert not Delivery.objects.exists() and not AlertRecipient.objects.exists()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CONFIRMED  # not "responding" to nobody
    # the service itself never marks it sent with 0 asked
    alert = alert_create(network=network_a, kind=AlertKind.LEGAL, incident=incident)
    with pytest.raises(AlertError, match="reach nobody"):
        alert_launch(alert=alert)
    alert.refresh_from_db()
    assert alert.status == Alert.Status.DRAFT and alert.launched_at is None


def test_an_approved_member_alert_that_reaches_nobody_stays_unapproved(
    network_a,
    area,  # noqa: F811
    coordinator_a,
) -> None:
    incident = confirmed_incident(network_a, place=area["amherst"])
    alert = alert_create(
        network=network_a, kind=AlertKind.MEMBERS, incident=incident, actor=coordinator_a
    )
    alert = alert_launch(alert=alert, actor=coordinator_a)
    assert alert.status == Alert.Status.AWAITING_APPROVAL
    second = make_user(network_a, "second@a.example", ["coordinator"])
    with pytest.raises(AlertError, match="reach nobody"):
        alert_approve(alert=alert, actor=second)
    alert.refresh_from_db()  # the refusal undid the approval: it can be tried again
    assert alert.status == Alert.Status.AWAITING_APPROVAL and alert.approved_by_id is None
    assert not Delivery.objects.exists()


def test_refused_tries_leave_nothing_behind(network_a, area, coordinator_a) -> None:  # noqa: F811
    seed_alerts(network_a)
    ResponderFactory.create(network=network_a, place=area["holyoke"], available_now=True)
    incident = confirmed_incident(network_a, place=area["holyoke"])
    client = client_for(coordinator_a)
    assert client.post(_url(incident), _form(squad="on", action="send")).status_code == 302
    live = Alert.objects.get()
    page = client.get(_url(incident)).content.decode()  # back on the page: it says so
    assert 'id="respond-out"' in page and f"#alert-{live.pk}" in page
    assert not re.search(r'<input[^>]*name="squad"[^>]*checked', page)  # not ticked again
    audits = AuditEvent.objects.count()
    deliveries = Delivery.objects.count()
    # twice more: the call-out is already out
    for _try in range(2):
        again = client.post(_url(incident), _form(squad="on", action="send"))
        assert again.status_code == 400
        html = again.content.decode()
        assert f"alert #{live.pk}" in _text(html)  # names the live call-out …
        board = reverse("alerts:board", kwargs={"incident_pk": incident.pk})
        assert f'href="{board}#alert-{live.pk}"' in html  # … and links to its board
    # squad and legal together, the legal team reaching nobody: neither goes
    both = client.post(_url(incident), _form(squad="on", legal="on", action="send"))
    assert both.status_code == 400
    assert list(Alert.objects.all()) == [live]  # no draft left by any refused try
    assert AuditEvent.objects.count() == audits and Delivery.objects.count() == deliveries
    timeline = client.get(reverse("alerts:timeline", kwargs={"incident_pk": incident.pk}))
    assert _text(timeline.content.decode()).count("created (") == 1


def test_cancel_stops_pending_texts_audited_on_the_timeline_and_send_again(
    network_a,
    area,  # noqa: F811
    coordinator_a,
    volunteer_a,
    coordinator_b,
) -> None:
    seed_alerts(network_a)
    for _n in range(3):
        ResponderFactory.create(network=network_a, place=area["holyoke"], available_now=True)
    incident = confirmed_incident(network_a, place=area["holyoke"])
    client = client_for(coordinator_a)
    assert client.post(_url(incident), _form(squad="on", action="send")).status_code == 302
    alert = Alert.objects.get()
    queued = list(Delivery.objects.filter(alert=alert, status=Delivery.Status.QUEUED))
    assert len(queued) == 3 and EscalationStep.objects.filter(alert=alert).exists()
    board_url = reverse("alerts:board", kwargs={"incident_pk": incident.pk})
    board = client.get(board_url).content.decode()
    cancel_url = reverse("alerts:cancel", kwargs={"pk": alert.pk})
    assert f'action="{cancel_url}"' in board
    # only a dispatcher of the alert's network may cancel it
    assert client_for(volunteer_a).post(cancel_url).status_code == 403
    assert client_for(coordinator_b).post(cancel_url).status_code == 404
    response = client.post(cancel_url, follow=True)
    assert response.redirect_chain[-1][0] == board_url
    cancelled_board = _text(response.content.decode())
    assert "3 texts not yet sent were stopped" in cancelled_board
    assert "failed on" not in cancelled_board  # stopped on purpose is not a failure
    alert.refresh_from_db()
    assert alert.status == Alert.Status.CANCELLED
    for row in Delivery.objects.filter(alert=alert):  # the outbox's own stop
        assert row.status == Delivery.Status.EXPIRED and row.error == ALERT_OVER
        assert stop_reason(row) == ALERT_OVER
    assert not EscalationStep.objects.filter(alert=alert, done_at__isnull=True).exists()
    audit = AuditEvent.objects.filter(target_id=str(alert.pk), note__startswith="cancelled")
    assert audit.get().actor == coordinator_a
    timeline = client.get(reverse("alerts:timeline", kwargs={"incident_pk": incident.pk}))
    assert f"Alert #{alert.pk} cancelled" in _text(timeline.content.decode())
    # sent again, from the board's link
    board = client.get(board_url).content.decode()
    again = reverse("alerts:respond", kwargs={"incident_pk": incident.pk}) + "?kind=squad"
    assert f'href="{again}"' in board
    assert client.post(_url(incident), _form(squad="on", action="send")).status_code == 302
    second = Alert.objects.exclude(pk=alert.pk).get()
    assert second.status == Alert.Status.SENDING and second.recipients.count() == 3


def test_the_demo_legal_callout_reaches_two_attorneys_for_the_nearest_facility(
    network_a,
    area,  # noqa: F811
    coordinator_a,
) -> None:
    from amparo.alerts.demo import seed_attorneys  # noqa: PLC0415 - new with this issue

    seed_alerts(network_a)
    assert seed_attorneys(network_a) == 6
    assert seed_attorneys(network_a) == 0  # idempotent
    attorneys = Person.objects.filter(network=network_a, roles__slug="attorney")
    assert attorneys.count() == 6
    assert set(attorneys.values_list("status", flat=True)) == {Person.Status.ACTIVE}
    incident = confirmed_incident(network_a, place=area["holyoke"])
    client = client_for(coordinator_a)
    preview = client.post(_url(incident), _form(legal="on")).content.decode()
    assert 'data-shortfall="legal"' not in preview and 'id="respond-send"' in preview
    assert client.post(_url(incident), _form(legal="on", action="send")).status_code == 302
    alert = Alert.objects.get(kind=AlertKind.LEGAL)
    assert alert.status == Alert.Status.SENDING and alert.facility is not None
    near = alert.recipients.filter(tier=1, distance_km__lte=15)  # near the facility
    assert near.count() >= 2
    assert Delivery.objects.filter(alert=alert).count() == 6
