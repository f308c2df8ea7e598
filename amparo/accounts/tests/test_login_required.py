"""Every URL needs a login except an explicit allowlist (DESIGN.md "Access")."""

from __future__ import annotations

import pytest
from django.urls import reverse

from amparo.core.tests.urlwalk import iter_routes

PUBLIC = {
    "healthz",
    "set_language",
    "login",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    # the public volunteer sign-up (issue 3)
    "signup",
    "signup_done",
    "signup_confirm",
    # a responder's calendar feed: a signed URL, no login (issue 4)
    "hotline:ical",
    # a person's calendar feed (shifts, hearings, I-9 deadlines): the same secret link (issue 18)
    "people:calendar",
    # provider webhooks: no login, every one signature-checked (issue 4)
    "twilio_voice",
    "twilio_voice_menu",
    "twilio_voice_leg",
    # a responder's leg hears the whisper and presses 1 to take the call (issue 13)
    "twilio_voice_whisper",
    "twilio_voice_take",
    "twilio_voice_dial_done",
    "twilio_voice_goodbye",
    "twilio_voice_recorded",
    "twilio_status",
    "twilio_sms",
    # the public report form, its status page and the verifiers' magic links (issue 5)
    "report_form",
    # /report/: the form where the server holds one network, a chooser otherwise (issue 13)
    "report_start",
    "report_done",
    "report_status",
    "reports:verify_link",
    # a responder's magic link to answer an alert (issue 6)
    "alert_answer",
    "twilio_voice_alert",
    "twilio_voice_alert_answer",
    "twilio_voice_alert_status",
    "telegram_webhook",
    # a family plan's chosen person: a random token, shown only while the plan is open
    # for them (issue 18; amparo/support/tests/test_support.py)
    "plan_shared",
    # a petition's page and a case's letters-of-support form, by unguessable token (issue 23)
    "petition_public",
    "letters_public",
}


def test_only_the_allowlist_is_public():
    public = {r.name for r in iter_routes() if not getattr(r.callback, "login_required", True)}
    assert public == PUBLIC


@pytest.mark.django_db
def test_anonymous_requests_to_private_pages_go_to_login(client):
    checked = 0
    for route in iter_routes():
        if route.name in PUBLIC:
            continue
        kwargs = {name: "1" for name in route.converters}
        url = reverse(route.name, kwargs=kwargs)
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("login")), url
            checked += 1
    assert checked >= 6
