"""The dispatcher console and incident page: ordering (a corroborated report is never
buried under a flood), the live feed, access, escaping, coarse map points, and the
dispatcher's actions (no "confirm" for dispatchers)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.templatetags.static import static
from django.urls import reverse

from amparo.accounts.models import AuditEvent
from amparo.conftest import client_for, make_user
from amparo.lib import geo
from amparo.people.services import place_get_or_create
from amparo.reports.console import console_data, verify_request_url
from amparo.reports.models import Incident, IncidentEvent, Report
from amparo.reports.services import ReportInput, geo_center, incident_transition, report_submit
from amparo.tests.factories import PersonFactory

HOLYOKE = {"lat": 42.2043, "lng": -72.6162}
NORTHAMPTON = {"lat": 42.3251, "lng": -72.6412}
SPRINGFIELD = {"lat": 42.1015, "lng": -72.5898}
AMHERST = {"lat": 42.3732, "lng": -72.5199}
GREENFIELD = {"lat": 42.5876, "lng": -72.5995}


def submit(network, point, phone="", low_trust=False, details=None, place=None, source="hotline"):
    return report_submit(
        network=network,
        source=source,
        data=ReportInput(
            details=details or {"activity": "agents at the gate"},
            point=point,
            place=place,
            reporter_phone=phone,
            low_trust=low_trust,
        ),
    )


@pytest.fixture
def dispatcher_a(network_a):
    return make_user(network_a, "dispatch@a.example", ["dispatcher"], name="Dee")


@pytest.fixture
def verifier_person(network_a):
    return PersonFactory.create(
        network=network_a, name="Vera", phone="+14135550150", roles=["verifier"]
    )


@pytest.mark.django_db
def test_order_puts_corroborated_and_confirmed_first_and_low_trust_last(network_a, verifier_person):
    confirmed = submit(network_a, SPRINGFIELD, "+14135550101").incident
    incident_transition(incident=confirmed, to="confirmed", person=verifier_person)
    # two texting numbers corroborate (two numbers typed in the public form would not)
    two_sources = submit(network_a, HOLYOKE, "+14135550102", source="sms").incident
    submit(network_a, HOLYOKE, "+14135550103", source="sms")
    verifying = submit(network_a, AMHERST, "+14135550104").incident
    incident_transition(incident=verifying, to="verifying")
    # A flood: many low-trust reports from many fake sources, newer than all the others.
    flood: Any = None
    for i in range(5):
        flood = submit(
            network_a, GREENFIELD, f"+1413555011{i}", low_trust=True, source="web"
        ).incident
    single = submit(network_a, NORTHAMPTON, "+14135550105", source="web").incident

    data = console_data(network=network_a)
    assert [row["id"] for row in data["rows"]] == [confirmed.pk, verifying.pk, two_sources.pk]
    # single public reports fold into one group after the list, newest first
    assert [row["id"] for row in data["folded"]["rows"]] == [single.pk, flood.pk]
    flood.refresh_from_db()
    assert flood.source_count == 5 and flood.strong_sources == 1  # the public form counts once


@pytest.mark.django_db
def test_console_lists_incidents_with_place_times_counts(network_a, dispatcher_a):
    place = place_get_or_create(
        network=network_a, name="Holyoke", latitude=HOLYOKE["lat"], longitude=HOLYOKE["lng"]
    )
    submit(network_a, None, "+14135550120", place=place)
    submit(network_a, NORTHAMPTON, "+14135550121")  # no town
    client = client_for(dispatcher_a)
    response = client.get(reverse("reports:console"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Holyoke" in html and "unknown place" in html
    assert "1 independent source" in html and "1 report" in html
    assert 'id="console-refresh"' in html and 'id="console-map"' in html
    assert static("amparo/console.js") in html


@pytest.mark.django_db
def test_feed_returns_rows_and_a_version_that_changes_on_a_new_report(network_a, dispatcher_a):
    submit(network_a, HOLYOKE, "+14135550130")
    client = client_for(dispatcher_a)
    url = reverse("reports:console_feed")
    first = client.get(url)
    assert first.status_code == 200 and first["Cache-Control"] == "no-store, private"
    data = first.json()
    assert len(data["rows"]) == 1 and data["version"]
    assert client.get(url).json()["version"] == data["version"]  # stable while nothing changes
    submit(network_a, HOLYOKE, "+14135550131")
    again = client.get(url).json()
    assert again["version"] != data["version"]
    assert again["latest_report"] > data["latest_report"]
    assert again["rows"][0]["sources"] == 2


@pytest.mark.django_db
def test_map_points_are_the_coarse_cell_centre_never_the_exact_point(network_a, dispatcher_a):
    exact = {"lat": 42.20431, "lng": -72.61623}
    report = submit(network_a, exact, "+14135550132")
    row = client_for(dispatcher_a).get(reverse("reports:console_feed")).json()["rows"][0]
    lat, lng = geo_center(geo.cell_for(exact["lat"], exact["lng"]))
    assert (row["lat"], row["lng"]) == (round(lat, 5), round(lng, 5))
    assert (row["lat"], row["lng"]) != (exact["lat"], exact["lng"])
    body = client_for(dispatcher_a).get(reverse("reports:console")).content.decode()
    assert "42.20431" not in body and "-72.61623" not in body
    assert report.incident_id == row["id"]


@pytest.mark.django_db
def test_status_filter(network_a, dispatcher_a, verifier_person):
    a = submit(network_a, HOLYOKE, "+14135550133").incident
    submit(network_a, NORTHAMPTON, "+14135550134")
    incident_transition(incident=a, to="confirmed", person=verifier_person)
    client = client_for(dispatcher_a)
    rows = client.get(reverse("reports:console_feed"), {"status": "confirmed"}).json()["rows"]
    assert [r["id"] for r in rows] == [a.pk]
    assert client.get(reverse("reports:console"), {"status": "bogus"}).status_code == 200


@pytest.mark.django_db
def test_access_volunteer_403_other_network_404(network_a, network_b, volunteer_a, coordinator_b):
    incident = submit(network_a, HOLYOKE, "+14135550135").incident
    volunteer = client_for(volunteer_a)
    assert volunteer.get(reverse("reports:console")).status_code == 403
    assert volunteer.get(reverse("reports:console_feed")).status_code == 403
    assert volunteer.get(reverse("reports:incident", kwargs={"pk": incident.pk})).status_code == 403
    other = client_for(coordinator_b)
    assert other.get(reverse("reports:incident", kwargs={"pk": incident.pk})).status_code == 404
    assert other.get(reverse("reports:console_feed")).json()["rows"] == []
    url = reverse("reports:incident_status", kwargs={"pk": incident.pk})
    assert other.post(url, {"to": "closed"}).status_code == 404
    verifier_user = make_user(network_a, "v@a.example", ["verifier"])
    # A verifier sees the console but cannot dispatch.
    assert client_for(verifier_user).get(reverse("reports:console")).status_code == 200
    assert client_for(verifier_user).post(url, {"to": "closed"}).status_code == 403


@pytest.mark.django_db
def test_incident_page_shows_details_as_text_audits_the_read_and_orders_reports(
    network_a, dispatcher_a
):
    hostile = '<script>alert("x")</script>'
    low = submit(network_a, HOLYOKE, "+14135550140", low_trust=True, details={"text": "low one"})
    trusted = submit(network_a, HOLYOKE, "+14135550141", details={"text": hostile})
    newest = submit(network_a, HOLYOKE, "+14135550142", details={"activity": "newest"})
    incident = trusted.incident
    response = client_for(dispatcher_a).get(reverse("reports:incident", kwargs={"pk": incident.pk}))
    html = response.content.decode()
    assert hostile not in html and "&lt;script&gt;" in html
    order = [html.index(f'data-report="{r.pk}"') for r in (newest, trusted, low)]
    assert order == sorted(order)  # not low-trust first, then newest
    assert (
        AuditEvent.objects.filter(
            action=AuditEvent.Action.READ, target_type="reports.report", actor=dispatcher_a
        ).count()
        == 3
    )
    assert "(413) 555-0141" in html  # the callback number (read audited)


@pytest.mark.django_db
def test_dispatcher_has_no_confirm_but_can_close_and_mark_responding(
    network_a, dispatcher_a, verifier_person
):
    incident = submit(network_a, HOLYOKE, "+14135550143").incident
    client = client_for(dispatcher_a)
    page = client.get(reverse("reports:incident", kwargs={"pk": incident.pk}))
    choices = [v for v, _l in page.context["transition_form"].fields["to"].choices]
    assert "confirmed" not in choices and "closed" in choices
    url = reverse("reports:incident_status", kwargs={"pk": incident.pk})
    client.post(url, {"to": "confirmed"})  # forged: refused
    incident.refresh_from_db()
    assert incident.status == "unverified"
    incident_transition(incident=incident, to="confirmed", person=verifier_person)
    client.post(url, {"to": "responding", "note": "team sent"})
    incident.refresh_from_db()
    assert incident.status == "responding"
    event = IncidentEvent.objects.filter(incident=incident, to_status="responding").get()
    assert event.actor == dispatcher_a
    client.post(url, {"to": "closed"})
    incident.refresh_from_db()
    assert incident.status == "closed"


@pytest.mark.django_db
def test_public_note_split_and_merge(network_a, dispatcher_a):
    a = submit(network_a, HOLYOKE, "+14135550144")
    b = submit(network_a, HOLYOKE, "+14135550145")
    incident = a.incident
    client = client_for(dispatcher_a)
    client.post(
        reverse("reports:incident_note", kwargs={"pk": incident.pk}),
        {"note": "Not confirmed at 14:10"},
    )
    incident.refresh_from_db()
    assert incident.public_note == "Not confirmed at 14:10"

    response: Any = client.post(reverse("reports:report_split", kwargs={"pk": b.pk}))
    b.refresh_from_db()
    assert b.incident_id != incident.pk
    assert response.url == reverse("reports:incident", kwargs={"pk": b.incident_id})
    incident.refresh_from_db()
    assert incident.report_count == 1
    # The only report cannot be split out.
    client.post(reverse("reports:report_split", kwargs={"pk": a.pk}))
    a.refresh_from_db()
    assert a.incident_id == incident.pk

    page = client.get(reverse("reports:incident", kwargs={"pk": incident.pk}))
    assert page.context["merge_form"] is not None
    client.post(
        reverse("reports:incident_merge", kwargs={"pk": incident.pk}), {"other": b.incident_id}
    )
    b.refresh_from_db()
    assert b.incident_id == incident.pk
    incident.refresh_from_db()
    assert incident.report_count == 2
    assert Incident.objects.filter(status="closed").count() == 1
    # A far-away incident is not offered for merging.
    far = submit(network_a, GREENFIELD, "+14135550146").incident
    response = client.post(
        reverse("reports:incident_merge", kwargs={"pk": incident.pk}), {"other": far.pk}
    )
    assert Report.objects.filter(incident=far).count() == 1


@pytest.mark.django_db
def test_ask_verifiers_is_offered_to_those_who_dispatch_only(network_a, dispatcher_a):
    incident = submit(network_a, HOLYOKE, "+14135550147").incident
    page = reverse("reports:incident", kwargs={"pk": incident.pk})
    html = client_for(dispatcher_a).get(page).content.decode()
    url = reverse("reports:verify_request", kwargs={"pk": incident.pk})
    assert verify_request_url(incident) == url
    assert f'action="{url}"' in html and 'id="verify-request"' in html
    verifier = make_user(network_a, "vera@a.example", ["verifier"])  # sees, cannot dispatch
    response = client_for(verifier).get(page)
    assert response.status_code == 200 and 'id="verify-request"' not in response.content.decode()


@pytest.mark.django_db
def test_initial_rows_json_is_escaped(network_a, dispatcher_a):
    submit(network_a, HOLYOKE, "+14135550148")
    html = client_for(dispatcher_a).get(reverse("reports:console")).content.decode()
    start = html.index('id="console-rows"')
    payload = html[html.index(">", start) + 1 : html.index("</script>", start)]
    assert json.loads(payload)[0]["status"] == "unverified"


@pytest.mark.django_db
def test_after_asking_verifiers_the_page_leads_back_to_the_incident(network_a, dispatcher_a):
    incident = submit(network_a, HOLYOKE, "+14135550149").incident
    url = reverse("reports:verify_request", kwargs={"pk": incident.pk})
    html = client_for(dispatcher_a).post(url, {"count": 3, "within_km": 25}).content.decode()
    back = reverse("reports:incident", kwargs={"pk": incident.pk})
    assert f'id="vr-back" href="{back}"' in html


@pytest.mark.django_db
def test_no_status_is_preselected_so_a_hurried_click_closes_nothing(
    network_a, dispatcher_a, verifier_person
):
    incident = submit(network_a, HOLYOKE, "+14135550143").incident
    incident_transition(incident=incident, to="confirmed", person=verifier_person)
    client = client_for(dispatcher_a)
    page = client.get(reverse("reports:incident", kwargs={"pk": incident.pk}))
    choices = page.context["transition_form"].fields["to"].choices
    assert choices[0][0] == ""  # "Choose…" first: nothing chosen for the dispatcher
    url = reverse("reports:incident_status", kwargs={"pk": incident.pk})
    response = client.post(url, {"to": "", "note": ""}, follow=True)
    incident.refresh_from_db()
    assert incident.status == "confirmed"
    assert "Choose the new status." in response.content.decode()


@pytest.mark.django_db
def test_the_empty_list_does_not_contradict_the_single_reports_below(network_a, dispatcher_a):
    client = client_for(dispatcher_a)
    assert "No incidents.</li>" in client.get(reverse("reports:console")).content.decode()
    submit(network_a, NORTHAMPTON, "+14135550105", source="web")
    page = client.get(reverse("reports:console")).content.decode()
    assert "No incidents.</li>" not in page
    assert "No incidents confirmed or reported more than once yet" in page
    assert 'id="console-empty-folded"' in page
