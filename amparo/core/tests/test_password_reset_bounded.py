"""Issue 15.6: the "forgot password" form sent a mail per request (40 requests, 40
mails) and answered a real account more slowly. Now: a limit per client address and
per account (neither keeps the real person from logging in), and the request does the
same work for every email — it counts and enqueues; the worker writes the mail to the
outbox (amparo/core/password_reset.py)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from huey.contrib.djhuey import HUEY

from amparo.channels.models import Delivery
from amparo.conftest import PASSWORD, password_mails, run_queued_tasks
from amparo.people.models import RateBucket

X = "198.51.100.9"


@pytest.fixture(autouse=True)
def _empty_queue():
    HUEY.flush()
    yield
    HUEY.flush()


def ask(email: str, address: str = X):
    return Client().post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


@pytest.mark.django_db
def test_forty_requests_send_at_most_a_few_mails_and_the_person_still_logs_in(
    coordinator_a, settings
):
    answers = [ask("alice@a.example").status_code for _ in range(40)]
    per_address = settings.PASSWORD_RESET_RATE_LIMITS[0][0]
    assert answers == [302] * per_address + [429] * (40 - per_address)
    # from forty addresses: the account's own limit
    for i in range(40):
        ask("Alice@A.example", address=f"203.0.113.{i}")
    mails = password_mails()
    per_account = settings.PASSWORD_RESET_MAIL_LIMITS[0][0]
    assert 1 <= len(mails) <= per_account
    assert all(m.to == ["alice@a.example"] for m in mails)
    assert mails[0].subject == "Amparo: set your password"
    # the counters hold keyed hashes, never the email or the address
    for key in RateBucket.objects.values_list("key_hash", flat=True):
        assert "alice" not in key and "198.51" not in key
    # the link mailed works
    link = re.search(r"https?://\S+(/accounts/password/reset/\S+/)", mails[-1].body)
    assert link is not None
    opened = Client().get(link.group(1), follow=True)
    assert opened.status_code == 200 and 'name="new_password1"' in opened.content.decode()
    # the limits are not the login's: the real person logs in from the same connection
    client = Client()
    login = client.post(
        reverse("login"), {"username": "alice@a.example", "password": PASSWORD}, REMOTE_ADDR=X
    )
    assert login.status_code == 302 and "_auth_user_id" in client.session


@pytest.mark.django_db
def test_the_page_says_the_same_and_the_request_does_the_same_work_for_any_email(coordinator_a):
    answers, queries, queued = {}, {}, {}
    for email in ("alice@a.example", "nobody@a.example"):
        HUEY.flush()
        with CaptureQueriesContext(connection) as captured:
            response = ask(email, address="192.0.2.50" if "alice" in email else "192.0.2.51")
        answers[email] = (response.status_code, response["Location"])
        # the statements the request ran, with their values left out
        queries[email] = [re.sub(r"'[^']*'|\d+", "?", q["sql"]) for q in captured]
        queued[email] = HUEY.pending_count()
        assert mail.outbox == []  # nothing is sent in the request
        assert not Delivery.objects.exists()
    assert answers["alice@a.example"] == answers["nobody@a.example"]
    assert queries["alice@a.example"] == queries["nobody@a.example"]
    assert queued == {"alice@a.example": 1, "nobody@a.example": 1}
    # the worker mails the account, and nothing for the unknown email
    assert run_queued_tasks() == 1
    assert Delivery.objects.filter(purpose="password-reset").count() == 0
    ask("alice@a.example")
    assert len(password_mails()) == 1


@pytest.mark.django_db
def test_an_account_in_no_active_network_gets_no_mail_as_the_readme_says(network_a):
    """Decided in the review of issue 15: the outbox sends in a network's name, so an
    account with no active membership gets no link (the page still says the same);
    the server operator uses `amparo account-reset` (README)."""
    from amparo.conftest import make_user
    from amparo.core.password_reset import reset_user

    solo = make_user(None, "solo@a.example", [])
    assert reset_user(solo.email_index) == solo  # an account a link could go to
    assert ask("solo@a.example").status_code == 302
    run_queued_tasks()
    assert password_mails() == [] and not Delivery.objects.exists()
