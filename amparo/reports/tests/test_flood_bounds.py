"""Issue 13.3 point by point: the console folds single public reports into one group
and keeps known reporters and corroborated incidents on top; a flood raises the proof
of work and the per-address limits, which fall back after; storage stays bounded (one
source's later reports are added to its last one, a cap per network)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amparo.channels.models import Delivery
from amparo.channels.services import inbound_receive
from amparo.conftest import client_for, make_user
from amparo.core.retention import purge_due
from amparo.lib.crypto.blind import phone_index
from amparo.people import antiabuse
from amparo.people.services import place_get_or_create
from amparo.reports.console import console_data
from amparo.reports.flood import flood_active
from amparo.reports.models import Incident, KnownReporter, Report
from amparo.reports.services import ReportInput, incident_transition, report_submit
from amparo.tests.factories import PersonFactory

CHALLENGE = re.compile(r'name="pow_challenge" value="([^"]+)"')
BITS = re.compile(r'data-pow-bits="(\d+)"')
HOLYOKE = {"lat": 42.2043, "lng": -72.6162}
SPRINGFIELD = {"lat": 42.1015, "lng": -72.5898}
AMHERST = {"lat": 42.3732, "lng": -72.5199}
GREENFIELD = {"lat": 42.5876, "lng": -72.5995}
WESTFIELD = {"lat": 42.1251, "lng": -72.7495}
MEMBER = "+14135550161"
STRANGER = "+14135550162"


def incident_of(report: Report) -> Incident:
    assert report.incident is not None
    return report.incident


def bits_of(page: str) -> str:
    found = BITS.search(page)
    assert found is not None
    return found.group(1)


def sms(network, sender, body):
    return inbound_receive(network=network, channel="sandbox", from_address=sender, body=body)


def form_url(network):
    return reverse("report_form", kwargs={"network": network.slug})


def post(network, address, text, *, place, challenge=None, bits=None):
    """One post of the public form from ``address``, solved at the form's difficulty."""
    client = Client()
    page = client.get(form_url(network)).content.decode()
    if challenge is None:
        found = CHALLENGE.search(page)
        assert found is not None
        challenge = found.group(1)
    bits = bits if bits is not None else int(bits_of(page))
    data = {
        "pow_challenge": challenge,
        "pow_nonce": antiabuse.pow_solve(challenge=challenge, bits=bits),
        "activity": text,
        "place": place.pk,
        "time": "now",
    }
    return client, client.post(form_url(network), data, REMOTE_ADDR=address)


@pytest.fixture
def holyoke(network_a):
    return place_get_or_create(
        network=network_a, name="Holyoke", latitude=HOLYOKE["lat"], longitude=HOLYOKE["lng"]
    )


@pytest.fixture(autouse=True)
def _cheap_pow(settings):
    settings.SIGNUP_POW_BITS = 2


# --- 1. the console: a folded group, known people and corroboration on top -----------


@pytest.mark.django_db
def test_single_public_reports_fold_and_known_people_and_corroboration_stay_on_top(network_a):
    now = timezone.now()
    # A flood as it sits in the database: 2,000 single public reports of the last hour.
    flood = Incident.objects.bulk_create(
        Incident(
            network=network_a,
            first_report_at=now - timedelta(seconds=2000 - i),
            last_report_at=now - timedelta(seconds=2000 - i),
            report_count=1,
            source_count=1,
            strong_sources=1,
        )
        for i in range(2000)
    )
    member = PersonFactory.create(network=network_a, phone=MEMBER, roles=["member"])
    verifier = PersonFactory.create(network=network_a, roles=["verifier"])
    sms(network_a, MEMBER, "REPORTE migra en Springfield")  # a member's own phone
    member_incident = incident_of(Report.objects.get(source="sms"))
    hotline = incident_of(
        report_submit(
            network=network_a, source="hotline", data=ReportInput(details={}, point=AMHERST)
        )
    )
    responder = make_user(network_a, "responder@a.example", ["committee"])
    signed_in = incident_of(
        report_submit(
            network=network_a,
            source="responder",
            data=ReportInput(
                details={}, point={"lat": 42.45, "lng": -72.9}, reporter_user=responder
            ),
        )
    )
    # A number that reported truly before: its earlier report was confirmed.
    earlier = incident_of(
        report_submit(
            network=network_a,
            source="sms",
            data=ReportInput(details={}, point=WESTFIELD, reporter_phone=STRANGER),
        )
    )
    incident_transition(incident=earlier, to="confirmed", person=verifier)
    truthful = report_submit(
        network=network_a,
        source="sms",
        data=ReportInput(details={}, point=GREENFIELD, reporter_phone=STRANGER),
    )
    # Two texting numbers about one place corroborate each other; one stranger alone not.
    for phone in ("+14135550171", "+14135550172"):
        corroborated = incident_of(
            report_submit(
                network=network_a,
                source="sms",
                data=ReportInput(details={}, point=HOLYOKE, reporter_phone=phone),
            )
        )
    # the same number typed into the public form proves nothing: it folds
    typed = incident_of(
        report_submit(
            network=network_a,
            source="web",
            data=ReportInput(details={}, point={"lat": 42.7, "lng": -73.1}, reporter_phone=MEMBER),
        )
    )
    assert member_incident is not None and member_incident.reports.get().known
    assert truthful.known and truthful.incident is not None

    data = console_data(network=network_a)
    on_top = {
        member_incident.pk,
        hotline.pk,
        signed_in.pk,
        earlier.pk,
        truthful.incident_id,
        corroborated.pk,
    }
    assert {row["id"] for row in data["rows"]} == on_top
    assert data["folded"]["count"] == 2001 and not data["folded"]["open"]
    assert data["folded"]["rows"][0]["id"] == typed.pk  # the newest first
    assert len(data["folded"]["rows"]) == 10

    dispatcher = make_user(network_a, "dispatch@a.example", ["dispatcher"])
    client = client_for(dispatcher)
    page = client.get(reverse("reports:console")).content.decode()
    assert "2001 unconfirmed single reports from the public" in page
    listed = page.split('id="incident-list"', 1)[1].split("</ol>", 1)[0]
    assert {int(n) for n in re.findall(r'data-id="(\d+)"', listed)} == on_top
    # the group opens: the console filtered to it, newest first, at most 200 rows
    opened = client.get(reverse("reports:console"), {"show": "public"})
    rows = opened.content.decode().split('id="incident-list"', 1)[1].split("</ol>", 1)[0]
    ids = [int(n) for n in re.findall(r'data-id="(\d+)"', rows)]
    assert ids[:2] == [typed.pk, flood[-1].pk] and len(ids) == 200
    assert member_incident.pk not in ids
    feed_url = reverse("reports:console_feed") + "?show=public"  # it stays open, live
    assert f'data-feed-url="{feed_url}"' in opened.content.decode()
    feed = client.get(reverse("reports:console_feed"), {"show": "public"}).json()
    assert feed["total"] == 2001 and feed["folded"] is None
    # Spanish
    es = client_for(dispatcher, language="es").get(reverse("reports:console")).content.decode()
    assert "2001 reportes únicos del público sin confirmar" in es
    assert member.pk  # the member exists; their number is theirs


@pytest.mark.django_db
def test_a_true_number_is_kept_as_a_keyed_hash_and_forgotten_after_its_period(network_a, settings):
    settings.REPORTER_TRUST_DAYS = 180
    verifier = PersonFactory.create(network=network_a, roles=["verifier"])
    first = incident_of(
        report_submit(
            network=network_a,
            source="sms",
            data=ReportInput(details={}, point=HOLYOKE, reporter_phone=STRANGER),
        )
    )
    incident_transition(incident=first, to="confirmed", person=verifier)
    row = KnownReporter.objects.get()
    assert STRANGER not in row.key_hash and row.key_hash != phone_index(STRANGER)
    assert len(row.key_hash) == 32  # an HMAC with the index key, per network
    with time_machine.travel(timezone.now() + timedelta(days=181)):
        purge_due()
        assert not KnownReporter.objects.exists()
        later = report_submit(
            network=network_a,
            source="sms",
            data=ReportInput(details={}, point=SPRINGFIELD, reporter_phone=STRANGER),
        )
        assert not later.known


# --- 2. a flood raises the proof of work and the limits; they fall back ------------------


@pytest.mark.django_db
def test_a_flood_raises_the_proof_of_work_and_the_limits_then_they_fall_back(
    network_a, holyoke, settings
):
    settings.REPORT_FLOOD_THRESHOLD = (5, 600)
    settings.REPORT_FLOOD_POW_EXTRA_BITS = 4
    settings.REPORT_RATE_LIMITS = ((20, 600),)
    settings.REPORT_FLOOD_RATE_LIMITS = ((1, 600),)
    start = timezone.now().replace(minute=0, second=5, microsecond=0) + timedelta(hours=1)
    with time_machine.travel(start, tick=False) as traveller:
        page = Client().get(form_url(network_a)).content.decode()
        assert bits_of(page) == "2"
        stale = CHALLENGE.search(page).group(1)  # type: ignore[union-attr]
        _c, quiet = post(network_a, "198.51.100.1", "uno", place=holyoke)
        _c, again = post(network_a, "198.51.100.1", "dos", place=holyoke)
        assert quiet.status_code == again.status_code == 302  # 20 per address, quietly
        for i in range(5):
            post(network_a, f"203.0.113.{i}", f"fake {i}", place=holyoke)
        assert flood_active(network=network_a)
        page = Client().get(form_url(network_a)).content.decode()
        assert bits_of(page) == "6"  # 16 times the work
        # a challenge solved at the old difficulty comes back, everything typed kept
        _c, harder = post(
            network_a, "198.51.100.9", "ICE en la puerta", place=holyoke, bits=2, challenge=stale
        )
        body = harder.content.decode()
        assert harder.status_code == 200 and "Many reports are arriving right now" in body
        assert "ICE en la puerta" in body
        # the per-address limit is stricter now: a second post from one address waits
        _c, first = post(network_a, "198.51.100.2", "tres", place=holyoke)
        _c, second = post(network_a, "198.51.100.2", "cuatro", place=holyoke)
        assert first.status_code == 302 and second.status_code == 429
        # a whole quiet window later, the form asks the usual work again
        traveller.shift(timedelta(seconds=1200))
        assert not flood_active(network=network_a)
        page = Client().get(form_url(network_a)).content.decode()
        assert bits_of(page) == "2"
        _c, back = post(network_a, "198.51.100.2", "cinco", place=holyoke)
        assert back.status_code == 302


# --- 3. bounded storage -------------------------------------------------------------


@pytest.mark.django_db
def test_one_source_past_its_limit_is_added_to_its_last_report_with_bounded_text(
    network_a, holyoke, settings
):
    settings.REPORT_SOURCE_ROWS = (2, 3600)
    settings.REPORT_APPEND_MAX_CHARS = 400
    for i in range(6):
        client, response = post(network_a, "192.0.2.7", f"report {i} " + "x" * 100, place=holyoke)
        assert response.status_code == 302
    rows = list(Report.objects.order_by("pk"))
    assert len(rows) == 2  # two rows; the later four went into the second
    more = rows[1].details["more"]
    assert [m["activity"][:8] for m in more] == ["report 2", "report 3"]
    assert rows[1].details["more_dropped"] == 2  # beyond the bound: only counted
    assert len(str(more)) <= 400 + 100
    # the dispatcher reads the added words on the incident page, marked as added
    dispatcher = make_user(network_a, "dispatch@a.example", ["dispatcher"])
    page = client_for(dispatcher).get(
        reverse("reports:incident", kwargs={"pk": rows[1].incident_id})
    )
    assert "Added later by the same source" in page.content.decode()
    assert "report 3" in page.content.decode() and "not kept" in page.content.decode()
    # the last person on that connection sees their own words, not an earlier report's
    done = client.get(reverse("report_done", kwargs={"network": network_a.slug}))
    assert "report 1" not in done.content.decode()
    _c, response = post(network_a, "192.0.2.7", "report 6 mine", place=holyoke)
    done = _c.get(reverse("report_done", kwargs={"network": network_a.slug})).content.decode()
    assert "report 1" not in done
    # a retention day later the rows no longer say which came from one connection
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        purge_due()
    assert not Report.objects.exclude(source_tag=None).exists()


@pytest.mark.django_db
def test_a_network_stores_a_bounded_number_of_strangers_reports(network_a, holyoke, settings):
    settings.REPORT_PUBLIC_CAP = (3, 3600)
    network_a.hotline_number = "+14135550100"
    network_a.save()
    PersonFactory.create(network=network_a, phone=MEMBER, roles=["member"])
    codes = [post(network_a, f"203.0.113.{i}", f"fake {i}", place=holyoke)[1] for i in range(5)]
    assert [r.status_code for r in codes] == [302, 302, 302, 429, 429]
    assert "(413) 555-0100" in codes[-1].content.decode() or "413" in codes[-1].content.decode()
    # a stranger's text past the cap: no row, told to call the hotline
    sms(network_a, STRANGER, "REPORT agents at the plant")
    reply = Delivery.objects.get(purpose="reply")
    assert "call" in reply.body and Report.objects.filter(source="sms").count() == 0
    # a member's text is never capped
    sms(network_a, MEMBER, "REPORTE migra en Holyoke")
    assert Report.objects.filter(source="sms", known=True).count() == 1
    assert Report.objects.filter(known=False).count() == 3
