"""The per-responder iCal feed: signed URL without login, RFC 5545 text, revocable."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amparo.conftest import client_for, make_user
from amparo.hotline.tests.test_shifts import make_shift
from amparo.people.calendar import feed_token
from amparo.tests.factories import PersonFactory


def _url(person, token=None):
    return reverse(
        "hotline:ical", kwargs={"pk": person.pk, "token": token or feed_token(person=person)}
    )


def test_feed_lists_upcoming_shifts_in_utc_with_a_uid_each(network_a):
    ana = PersonFactory.create(network=network_a, name="Ana", roles=["hotline"])
    ben = PersonFactory.create(network=network_a, name="Ben", language="en", roles=["hotline"])
    now = timezone.now().replace(microsecond=0)
    first = make_shift(network_a, now + timedelta(hours=5), people=[ana])
    second = make_shift(network_a, now + timedelta(days=2), backups=[ana], people=[ben])
    make_shift(network_a, now - timedelta(days=5), people=[ana])  # long past: left out
    response = Client().get(_url(ana))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert "\n" not in body.replace("\r\n", "")
    assert body.count("BEGIN:VEVENT") == 2
    a1 = first.assignments.get()
    a2 = second.assignments.get(person=ana)
    assert f"UID:shift-assignment-{a1.pk}@" in body and f"UID:shift-assignment-{a2.pk}@" in body
    assert "DTSTART:" + first.starts_at.strftime("%Y%m%dT%H%M%SZ") in body
    assert "SUMMARY:" in body
    assert "Ana" not in body  # no names in the feed
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))


def test_forged_foreign_or_revoked_tokens_get_404(network_a, network_b, coordinator_a):
    ana = PersonFactory.create(network=network_a, name="Ana", roles=["hotline"], user=coordinator_a)
    zoe = PersonFactory.create(network=network_b, name="Zoe", roles=["hotline"])
    client = Client()
    assert client.get(_url(ana, "forged:token")).status_code == 404
    # a valid token for Zoe does not open Ana's feed
    assert client.get(_url(ana, feed_token(person=zoe))).status_code == 404
    old = _url(ana)
    assert client.get(old).status_code == 200
    # "new link" revokes the old one
    web = client_for(coordinator_a)
    assert (
        web.post(reverse("people:calendar_renew"), {"next": "/hotline/shifts/mine/"})["Location"]
        == "/hotline/shifts/mine/"
    )
    assert client.get(old).status_code == 404
    assert client.get(_url(ana)).status_code == 200


def test_my_shifts_page_shows_the_feed_link(network_a):
    user = make_user(network_a, "r@a.example", ["hotline"])
    ana = PersonFactory.create(network=network_a, name="Ana", roles=["hotline"], user=user)
    make_shift(network_a, timezone.now() + timedelta(hours=5), people=[ana])
    html = client_for(user).get(reverse("hotline:mine")).content.decode()
    assert "/hotline/shifts/feed/" in html and ".ics" in html


def test_uids_stay_put_whatever_host_the_feed_is_fetched_by(network_a, settings):
    """RFC 5545 UIDs are persistent: a calendar subscribed as localhost and as 127.0.0.1
    (or behind a proxy) must not see each shift twice (issue 14, point 4)."""
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "calendar.proxy.example"]
    settings.CALENDAR_DOMAIN = "red.example.org"
    ana = PersonFactory.create(network=network_a, name="Ana", roles=["hotline"])
    shift = make_shift(network_a, timezone.now() + timedelta(hours=5), people=[ana])
    bodies = [
        Client(HTTP_HOST=host).get(_url(ana)).content.decode()
        for host in ("localhost", "127.0.0.1:8000", "calendar.proxy.example")
    ]
    uids = [[line for line in body.split("\r\n") if line.startswith("UID:")] for body in bodies]
    expected = f"UID:shift-assignment-{shift.assignments.get().pk}@red.example.org"
    assert uids == [[expected]] * 3
