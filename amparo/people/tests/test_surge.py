"""Surge mode: the sign-up page shows the moment's message, every confirmed sign-up is
invited to the next orientation by text in their language, the page says how many
more sessions are needed, and the pipeline counts each week's sign-ups by stage."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amparo.channels.models import Delivery
from amparo.channels.sandbox.services import sandbox_reply, thread_for
from amparo.conftest import client_for
from amparo.people import surge
from amparo.people.models import Person, TrainingSession, TrainingType
from amparo.people.signup import SignupData, signup_submit


def _session(network, language, place, days):
    return TrainingSession.objects.create(
        network=network,
        training_type=TrainingType.objects.get(network=network, slug="orientation"),
        starts_at=timezone.now() + timedelta(days=days),
        language=language,
        place=place,
        capacity=2,
    )


def _sign_up_and_confirm(network, phone, language):
    signup_submit(network=network, data=SignupData(name="Nueva", language=language, phone=phone))
    sandbox_reply(thread=thread_for(network=network, number=phone), body="si")


@pytest.mark.django_db
def test_surge_mode_invites_each_new_person_in_their_language(network_a, coordinator_a):
    _session(network_a, "es", "Salón parroquial", 3)
    _session(network_a, "en", "Union hall", 4)
    # off: a confirmed sign-up gets no orientation text
    _sign_up_and_confirm(network_a, "+14135550701", "es")
    assert not Delivery.objects.filter(purpose="surge-orientation").exists()

    coordinator = client_for(coordinator_a, "es")
    page = coordinator.get(reverse("people:surge")).content.decode()
    assert "Modo de afluencia" in page
    response = coordinator.post(
        reverse("people:surge"),
        {
            "text_es": "Tras la redada: ¡únase!",
            "text_en": "After the raid: join us!",
            "capacity": "30",
        },
    )
    assert response.status_code == 302 and surge.active_surge(network_a) is not None

    signup_page = reverse("signup", kwargs={"network_slug": network_a.slug})
    spanish = Client()
    spanish.cookies["amparo_language"] = "es"
    assert "Tras la redada: ¡únase!" in spanish.get(signup_page).content.decode()
    assert "After the raid: join us!" in Client().get(signup_page).content.decode()

    _sign_up_and_confirm(network_a, "+14135550702", "es")
    _sign_up_and_confirm(network_a, "+14135550703", "en")
    sent = {d.language: d.body for d in Delivery.objects.filter(purpose="surge-orientation")}
    assert sent["es"].startswith(f"{network_a.name}: ¡bienvenida/o!")
    assert "Salón parroquial" in sent["es"] or "Salon parroquial" in sent["es"]
    assert sent["en"].startswith(f"{network_a.name}: welcome!") and "Union hall" in sent["en"]

    # the two invited hold a seat; the one who confirmed before waits, two places are free
    need = surge.orientation_need(network_a)
    assert (need.waiting, need.seats, need.sessions_to_open) == (1, 2, 0)
    coordinator.post(reverse("people:surge"), {"action": "stop"})
    assert surge.active_surge(network_a) is None
    assert "Tras la redada" not in spanish.get(signup_page).content.decode()


@pytest.mark.django_db
def test_the_pipeline_counts_each_weeks_sign_ups_by_stage(network_a, coordinator_a):
    for phone, status in [
        ("+14135550711", "signed_up"),
        ("+14135550712", "confirmed"),
        ("+14135550713", "oriented"),
        ("+14135550714", "active"),
    ]:
        signup_submit(network=network_a, data=SignupData(name="X", language="es", phone=phone))
        person = Person.objects.order_by("-id").first()
        assert person is not None
        Person.objects.filter(pk=person.pk).update(status=status)
    weeks = surge.pipeline_by_week(network_a)
    assert weeks[0].counts == [4, 3, 2, 1, 1]
    assert weeks[0].rates == [100, 75, 50, 25, 25]
    assert all(w.counts == [0, 0, 0, 0, 0] for w in weeks[1:])
    page = client_for(coordinator_a).get(reverse("people:pipeline")).content.decode()
    assert "(75 %)" in page


@pytest.mark.django_db
def test_surge_opens_sessions_to_match_the_sign_ups_and_invites_each_once(network_a, coordinator_a):
    coordinator = client_for(coordinator_a, "es")
    response = coordinator.post(
        reverse("people:surge"),
        {"text_es": "¡Únase!", "text_en": "Join us!", "capacity": "2", "place": "Salón"},
    )
    current = surge.active_surge(network_a)
    assert response.status_code == 302 and current is not None and current.capacity == 2
    phones = [f"+1413555072{i}" for i in range(5)]
    for phone in phones[:3]:
        _sign_up_and_confirm(network_a, phone, "es")
    for phone in phones[3:]:
        _sign_up_and_confirm(network_a, phone, "en")
    sessions = TrainingSession.objects.filter(network=network_a)
    # ceil(3 / 2) Spanish sessions, ceil(2 / 2) English one, each full, none twice
    assert sorted(s.language for s in sessions) == ["en", "es", "es"]
    assert all(s.capacity == 2 and s.place == "Salón" for s in sessions)
    invites = Delivery.objects.filter(purpose="surge-orientation")
    assert invites.count() == 5
    assert {d.language for d in invites if d.body.startswith(f"{network_a.name}: ¡bienv")} == {"es"}
    assert invites.filter(language="es").count() == 3
    spanish = [s for s in sessions if s.language == "es"]
    assert sorted(s.signups.count() for s in spanish) == [1, 2]
    # an invited person is never invited twice
    assert not any(surge.orientation_invite(p) for p in Person.objects.filter(network=network_a))
    assert invites.count() == 5
    assert surge.orientation_need(network_a).sessions_to_open == 0
