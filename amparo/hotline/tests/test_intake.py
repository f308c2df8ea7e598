"""Intake: scripts in the caller's language, validation, every outcome, access and sealing."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from amparo.accounts.models import AuditEvent, Network, User
from amparo.channels.models import Delivery
from amparo.conftest import client_for, make_user
from amparo.hotline.models import Call, Callback, Intake, Shift, ShiftAssignment
from amparo.people.models import Organization, Person
from amparo.reports.models import Report
from amparo.tests.factories import PersonFactory

RESPONDER_PHONE = "+14135550161"
DISPATCHER_PHONE = "+14135550162"


def on_shift_now(network: Network, person: Person, role: str = "primary") -> Shift:
    now = timezone.now()
    shift = Shift.objects.create(
        network=network, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=5)
    )
    ShiftAssignment.objects.create(shift=shift, person=person, role=role)
    return shift


@pytest.fixture
def responder_a(network_a: Network) -> User:
    user = make_user(network_a, "rosa@a.example", ["hotline"], name="Rosa Ruiz", language="es")
    person = PersonFactory.create(
        network=network_a,
        name=user.display_name,
        phone=RESPONDER_PHONE,
        other_languages=["en"],
        user=user,
    )
    on_shift_now(network_a, person)
    return user


@pytest.fixture
def dispatcher_a(network_a: Network) -> User:
    user = make_user(network_a, "diego@a.example", ["dispatcher"], name="Diego Díaz")
    PersonFactory.create(
        network=network_a,
        name=user.display_name,
        phone=DISPATCHER_PHONE,
        language="en",
        other_languages=["es"],
        user=user,
    )
    return user


def start(client, situation="raid_now", language="es", **extra) -> Intake:
    response = client.post(
        reverse("hotline:intake_start"), {"situation": situation, "language": language, **extra}
    )
    assert response.status_code == 302, response.content[:2000]
    return Intake.objects.latest("id")


@pytest.mark.django_db
def test_script_is_in_the_callers_language_and_the_page_in_the_responders(network_a, coordinator_a):
    client = client_for(coordinator_a)  # English page
    intake = start(client, "agents_home", "es")
    page = client.get(reverse("hotline:intake", kwargs={"pk": intake.pk})).content.decode()
    assert '<html lang="en">' in page
    assert 'lang="es" id="script"' in page
    with translation.override("es"):
        from amparo.hotline.scripts import DOOR

        assert str(DOOR[0]) in page  # the script string as the Spanish catalogue has it
    assert "I-200" in page and "judicial" in page.lower()
    assert "no es asesoría legal" in page  # the script's own words, in Spanish
    # The view is audited as a read of a sensitive record.
    assert AuditEvent.objects.filter(
        action="read", target_type="hotline.intake", target_id=str(intake.pk)
    ).exists()


@pytest.mark.django_db
def test_activate_texts_dispatchers_and_people_on_shift(
    network_a, responder_a, dispatcher_a, django_capture_on_commit_callbacks
):
    client = client_for(responder_a)
    intake = start(client)
    with django_capture_on_commit_callbacks():
        response = client.post(
            reverse("hotline:intake", kwargs={"pk": intake.pk}),
            {"where": "Valley Poultry, 12 Mill St", "size": "6 agents", "outcome": "activate"},
        )
    assert response.status_code == 302
    intake.refresh_from_db()
    assert intake.outcome == "activate" and intake.finished_at
    assert intake.answers == {"where": "Valley Poultry, 12 Mill St", "size": "6 agents"}
    texts = Delivery.objects.filter(purpose="hotline-activate")
    by_to = {d.to_address: d for d in texts}
    assert set(by_to) == {RESPONDER_PHONE, DISPATCHER_PHONE}
    assert by_to[DISPATCHER_PHONE].language == "en"
    assert "activated the response team" in by_to[DISPATCHER_PHONE].body
    assert "Valley Poultry" in by_to[DISPATCHER_PHONE].body
    # dispatchers get the incident on their console; the intake itself is need-to-know,
    # so the others on shift get the news without a link they could not open
    incident = Report.objects.get().incident
    assert f"/incidents/{incident.pk}/" in by_to[DISPATCHER_PHONE].body
    assert client_for(dispatcher_a).get(f"/incidents/{incident.pk}/").status_code == 200
    assert by_to[RESPONDER_PHONE].language == "es"
    assert "/hotline/intake/" not in by_to[RESPONDER_PHONE].body
    assert "http" not in by_to[RESPONDER_PHONE].body
    assert AuditEvent.objects.filter(
        action="update", target_type="hotline.intake", note__startswith="outcome=activate"
    ).exists()
    done = client.get(response["Location"]).content.decode()
    assert 'data-outcome="activate"' in done


@pytest.mark.django_db
def test_raid_report_is_stored_and_dispatch_told(network_a, responder_a, dispatcher_a):
    client = client_for(responder_a)
    intake = start(client)
    client.post(
        reverse("hotline:intake", kwargs={"pk": intake.pk}),
        {"where": "Farm road 9", "activity": "checking papers", "outcome": "raid_report"},
    )
    intake.refresh_from_db()
    assert intake.outcome == "raid_report"
    assert intake.answers["activity"] == "checking papers"
    assert (
        Delivery.objects.filter(purpose="hotline-raid-report", to_index__isnull=False).count() == 2
    )


@pytest.mark.django_db
def test_outcome_without_what_it_needs_is_refused_in_the_responders_language(
    network_a, responder_a
):
    client = client_for(responder_a)  # a Spanish-speaking responder
    intake = start(client)
    response = client.post(
        reverse("hotline:intake", kwargs={"pk": intake.pk}), {"outcome": "activate"}
    )
    assert response.status_code == 200
    with translation.override("es"):
        from django.utils.translation import gettext

        expected = gettext("This outcome needs this answer.")
    assert expected in response.content.decode()
    intake.refresh_from_db()
    assert intake.outcome == "" and not Delivery.objects.exists()
    # A callback needs a number and a time; a malformed number is refused too.
    response = client.post(
        reverse("hotline:intake", kwargs={"pk": intake.pk}),
        {"outcome": "callback", "callback_number": "12"},
    )
    assert response.status_code == 200
    assert not Callback.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("moment", [None, "2026-03-08T06:45Z", "2026-11-01T04:30Z"])
def test_callback_outcome_makes_a_callback_task(request, network_a, responder_a, moment):
    if moment:  # also on both DST nights (see the test below)
        traveller = time_machine.travel(moment)
        traveller.start()
        request.addfinalizer(traveller.stop)
    client = client_for(responder_a)
    intake = start(client, "detained", "es")
    due = timezone.localtime(timezone.now() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    client.post(
        reverse("hotline:intake", kwargs={"pk": intake.pk}),
        {
            "detainee_name": "Juana Pérez López",
            "a_number": "12345678",
            "country_of_birth": "Guatemala",
            "callback_number": "(413) 555-0177",
            "outcome": "callback",
            "callback_due": due,
        },
    )
    intake.refresh_from_db()
    assert intake.outcome == "callback"
    assert intake.answers["a_number"] == "012345678"  # padded for the locator
    assert intake.answers["callback_number"] == "+14135550177"
    callback = Callback.objects.get(intake=intake)
    # Due at the minute typed, on the network's clock (not "more than an hour from now":
    # at 00:30 on the fall-back night, "two hours later" reads 01:30, and 01:30 is
    # the first one, an hour away; see the test below).
    assert timezone.localtime(callback.due_at).strftime("%Y-%m-%dT%H:%M") == due
    assert callback.due_at > timezone.now()
    assert callback.assigned_to == responder_a


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("now", "typed", "due"),
    [
        # 2026-03-08, New York springs forward: 02:00-03:00 never happens.
        ("2026-03-08T05:30Z", "2026-03-08T03:30", "2026-03-08T07:30Z"),  # 00:30 EST
        ("2026-03-08T06:45Z", "2026-03-08T04:45", "2026-03-08T08:45Z"),  # 01:45 EST
        ("2026-03-08T05:30Z", "2026-03-08T02:30", "2026-03-08T07:30Z"),  # skipped: 03:30 EDT
        # 2026-11-01, New York falls back: 01:00-02:00 happens twice.
        ("2026-11-01T04:30Z", "2026-11-01T01:30", "2026-11-01T05:30Z"),  # the first 01:30
        ("2026-11-01T05:45Z", "2026-11-01T02:45", "2026-11-01T07:45Z"),  # 01:45 EDT
        ("2026-11-01T06:30Z", "2026-11-01T03:30", "2026-11-01T08:30Z"),  # 01:30 EST
    ],
)
def test_a_callback_time_is_read_on_the_networks_clock_on_both_dst_nights(
    network_a, responder_a, now, typed, due
):
    """The intake used to add hours to a local time (wall-clock arithmetic) and the form
    refused the times the clocks skip or repeat: the callback test failed from 05:00 to
    07:00 UTC on the spring-forward day, and nobody could ask for a callback at 01:30 on
    the fall-back night. Pinned at those instants so neither comes back."""
    with time_machine.travel(now, tick=False):
        client = client_for(responder_a)
        intake = start(client, "detained", "es")
        response = client.post(
            reverse("hotline:intake", kwargs={"pk": intake.pk}),
            {
                "detainee_name": "Juana Pérez López",
                "a_number": "12345678",
                "country_of_birth": "Guatemala",
                "callback_number": "(413) 555-0177",
                "outcome": "callback",
                "callback_due": typed,
            },
        )
        assert response.status_code == 302
        callback = Callback.objects.get(intake=intake)
        assert callback.due_at == datetime.fromisoformat(due)
        assert callback.due_at > timezone.now()


@pytest.mark.django_db
def test_referral_texts_the_caller_in_their_language(network_a, responder_a):
    org = Organization.objects.create(
        network=network_a, kind="legal", name="Centro Legal del Valle", phone="+14135550300"
    )
    client = client_for(responder_a)
    intake = start(client, "workplace_abuse", "es")
    client.post(
        reverse("hotline:intake", kwargs={"pk": intake.pk}),
        {
            "abuse": "wage_theft",
            "callback_number": "+14135550188",
            "outcome": "referral",
            "referral": org.pk,
        },
    )
    intake.refresh_from_db()
    assert intake.outcome == "referral" and intake.referral == org
    text = Delivery.objects.get(purpose="hotline-referral")
    assert text.to_address == "+14135550188" and text.language == "es"
    assert "Centro Legal del Valle" in text.body and "+14135550300" in text.body


@pytest.mark.django_db
def test_referral_to_another_networks_organization_is_refused(network_a, network_b, responder_a):
    other = Organization.objects.create(network=network_b, kind="legal", name="Elsewhere")
    client = client_for(responder_a)
    intake = start(client)
    response = client.post(
        reverse("hotline:intake", kwargs={"pk": intake.pk}),
        {"outcome": "referral", "referral": other.pk, "where": "x"},
    )
    assert response.status_code == 200
    intake.refresh_from_db()
    assert intake.outcome == ""


@pytest.mark.django_db
def test_nothing_further_keeps_no_answers(network_a, responder_a):
    client = client_for(responder_a)
    intake = start(client, "question", "en")
    client.post(
        reverse("hotline:intake", kwargs={"pk": intake.pk}),
        {"question": "Is my cousin safe?", "outcome": "none"},
    )
    intake.refresh_from_db()
    assert intake.outcome == "none" and intake.answers == {}


@pytest.mark.django_db
def test_answers_are_sealed_in_the_database(network_a, responder_a):
    client = client_for(responder_a)
    intake = start(client)
    client.post(
        reverse("hotline:intake", kwargs={"pk": intake.pk}),
        {"where": "Secret Dairy Farm", "outcome": "raid_report"},
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT answers FROM hotline_intake WHERE id = %s", [intake.pk])
        raw = cursor.fetchone()[0]
    raw_text = bytes(raw).decode("latin-1") if isinstance(raw, (bytes, memoryview)) else str(raw)
    assert "Secret Dairy" not in raw_text
    assert Intake.objects.get(pk=intake.pk).answers["where"] == "Secret Dairy Farm"


@pytest.mark.django_db
def test_intake_from_a_call_takes_its_language(network_a, responder_a):
    call = Call.objects.create(
        network=network_a, provider="sandbox", provider_sid="x1", language="es"
    )
    client = client_for(responder_a)
    page = client.get(reverse("hotline:intake_start") + f"?call={call.pk}").content.decode()
    assert 'value="es" ' in page and "checked" in page
    intake = start(client, "raid_now", "es", call=call.pk)
    assert intake.call == call


@pytest.mark.django_db
def test_other_networks_get_404_and_volunteers_403(
    network_a, network_b, responder_a, coordinator_b, volunteer_a
):
    intake = start(client_for(responder_a))
    call_a = Call.objects.create(network=network_a, provider="sandbox", provider_sid="x2")
    outsider = client_for(coordinator_b)
    assert outsider.get(reverse("hotline:intake", kwargs={"pk": intake.pk})).status_code == 404
    assert (
        outsider.get(reverse("hotline:intake_outcome", kwargs={"pk": intake.pk})).status_code == 404
    )
    assert outsider.get(reverse("hotline:intake_start") + f"?call={call_a.pk}").status_code == 404
    volunteer = client_for(volunteer_a)
    for name in ("intakes", "intake_start", "conversations", "referrals"):
        assert volunteer.get(reverse(f"hotline:{name}")).status_code == 403
    assert volunteer.get(reverse("hotline:intake", kwargs={"pk": intake.pk})).status_code == 403


@pytest.mark.django_db
def test_call_log_lists_intakes_without_answers(network_a, responder_a):
    client = client_for(responder_a)
    intake = start(client)
    client.post(
        reverse("hotline:intake", kwargs={"pk": intake.pk}),
        {"where": "Hidden Orchard", "outcome": "raid_report"},
    )
    page = client.get(reverse("hotline:intakes")).content.decode()
    assert f"/hotline/intake/{intake.pk}/" in page and "Hidden Orchard" not in page
