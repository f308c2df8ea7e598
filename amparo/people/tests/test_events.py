"""Events: RSVPs by text (Spanish and English), capacity and the waiting list, reminders in
each person's language through the outbox, and check-in counted as participation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from amparo.channels.models import Delivery
from amparo.channels.sandbox.services import sandbox_reply, thread_for
from amparo.people import events
from amparo.people.models import Rsvp
from amparo.people.participation import (
    activity_create,
    attendance_check_in,
    participation_count,
)
from amparo.tests.factories import PersonFactory


def _event(network, *, days=3, capacity=None, title="Foro de trabajadores"):
    activity = activity_create(
        network=network,
        title=title,
        kind="event",
        starts_at=timezone.now() + timedelta(days=days),
        place="Iglesia San Juan",
    )
    if capacity is not None:
        activity.capacity = capacity
        activity.save(update_fields=["capacity"])
    return activity


def _reply(network, number, body):
    return sandbox_reply(thread=thread_for(network=network, number=number), body=body)


@pytest.mark.django_db
def test_an_rsvp_by_text_in_spanish(network_a):
    rosa = PersonFactory.create(network=network_a, name="Rosa Díaz", phone="+14135550601")
    activity = _event(network_a)
    assert events.event_invite(activity=activity, people=[rosa]) == 1
    invite = Delivery.objects.get(purpose="event-invite")
    assert invite.language == "es" and "Responda SI" in invite.body
    assert "Foro de trabajadores" in invite.body and "Iglesia San Juan" in invite.body

    received = _reply(network_a, "+14135550601", "  Sí ")
    assert received.handled_by == events.HANDLER
    assert Rsvp.objects.get(person=rosa).status == Rsvp.Status.GOING
    assert Rsvp.objects.get(person=rosa).via == Rsvp.Via.TEXT
    answer = Delivery.objects.filter(purpose="reply").latest("id")
    assert answer.language == "es" and answer.body.startswith("Está en la lista")

    _reply(network_a, "+14135550601", "no voy")
    assert Rsvp.objects.get(person=rosa).status == Rsvp.Status.DECLINED


@pytest.mark.django_db
def test_whats_next_answers_in_the_persons_language_and_a_yes_then_rsvps(network_a):
    ana = PersonFactory.create(network=network_a, phone="+14135550611", language="en")
    later = _event(network_a, days=9, title="May Day")
    soon = _event(network_a, days=2, title="Vigil")
    received = _reply(network_a, "+14135550611", "What's next?")
    assert received.handled_by == events.HANDLER
    answer = Delivery.objects.filter(purpose="reply").latest("id")
    assert answer.language == "en" and "Vigil" in answer.body and "Reply YES" in answer.body
    _reply(network_a, "+14135550611", "yes")
    assert Rsvp.objects.get(person=ana, activity=soon).status == Rsvp.Status.GOING
    assert not Rsvp.objects.filter(activity=later).exists()

    # PRÓXIMO from a Spanish speaker: the same event, in Spanish
    PersonFactory.create(network=network_a, phone="+14135550612", language="es")
    _reply(network_a, "+14135550612", "PRÓXIMO")
    answer = Delivery.objects.filter(purpose="reply").latest("id")
    assert answer.language == "es" and "Vigil" in answer.body and "Responda SI" in answer.body


@pytest.mark.django_db
def test_yes_and_no_without_an_invitation_are_not_taken(network_a):
    PersonFactory.create(network=network_a, phone="+14135550621")
    _event(network_a)
    assert _reply(network_a, "+14135550621", "si").handled_by != events.HANDLER
    assert _reply(network_a, "+14135550621", "no").handled_by != events.HANDLER
    assert not Rsvp.objects.exists()
    # a stranger asking what's next learns nothing
    assert _reply(network_a, "+14135550699", "proximo").handled_by != events.HANDLER


@pytest.mark.django_db
def test_capacity_fills_then_the_waiting_list_moves_up_with_a_text(network_a):
    activity = _event(network_a, capacity=2)
    a, b, c, d = (PersonFactory.create(network=network_a) for _ in range(4))
    statuses = [
        events.rsvp_set(activity=activity, person=p, going=True, via="web").status
        for p in (a, b, c, d)
    ]
    assert statuses == ["going", "going", "waiting", "waiting"]
    # answering twice changes nothing
    assert events.rsvp_set(activity=activity, person=c, going=True, via="web").status == "waiting"
    events.rsvp_set(activity=activity, person=a, going=False, via="web")
    counts = events.rsvp_counts(activity)
    assert counts["going"] == 2 and counts["waiting"] == 1 and counts["declined"] == 1
    assert Rsvp.objects.get(person=c).status == "going"  # the first waiting, not d
    told = Delivery.objects.get(purpose="event-rsvp")
    assert told.language == "es" and told.body.startswith("Se abrió un lugar")


@pytest.mark.django_db
def test_reminders_go_out_once_in_each_language(network_a):
    activity = _event(network_a, days=0)
    activity.starts_at = timezone.now() + timedelta(hours=5)
    activity.save(update_fields=["starts_at"])
    far = _event(network_a, days=5)
    es = PersonFactory.create(network=network_a, language="es")
    en = PersonFactory.create(network=network_a, language="en")
    for person in (es, en):
        events.rsvp_set(activity=activity, person=person, going=True, via="web")
        events.rsvp_set(activity=far, person=person, going=True, via="web")
    assert events.event_reminders_due() == 2
    assert events.event_reminders_due() == 0
    sent = {d.language: d.body for d in Delivery.objects.filter(purpose="event-reminder")}
    assert sent["es"].startswith(f"{network_a.name}: Recordatorio")
    assert sent["en"].startswith(f"{network_a.name}: Reminder")


@pytest.mark.django_db
def test_event_check_in_counts_as_participation(network_a):
    person = PersonFactory.create(network=network_a)
    activity = _event(network_a, days=1)
    since = timezone.now()
    events.rsvp_set(activity=activity, person=person, going=True, via="web")
    assert participation_count(person, since) == 0  # an RSVP is no participation
    attendance_check_in(activity=activity, person=person)
    assert participation_count(person, since) == 1


@pytest.mark.django_db
def test_a_member_rsvps_on_the_dashboard_and_a_coordinator_invites_by_text(
    network_a, network_b, coordinator_a
):
    from django.urls import reverse

    from amparo.conftest import client_for, make_user

    user = make_user(network_a, "miembro@a.example", [], name="Marisol")
    person = PersonFactory.create(network=network_a, user=user, status="confirmed")
    activity = _event(network_a, capacity=1)
    client = client_for(user, "es")
    page = client.get(reverse("dashboard")).content.decode()
    assert "Próximamente" in page and "Foro de trabajadores" in page
    url = reverse("people:event_rsvp", kwargs={"pk": activity.pk})
    assert client.post(url, {"going": "1"}).status_code == 302
    rsvp = Rsvp.objects.get(person=person)
    assert rsvp.status == "going" and rsvp.via == "web"
    assert "No puedo ir" in client.get(reverse("dashboard")).content.decode()
    # another network's event is not found
    other = _event(network_b)
    assert client.post(reverse("people:event_rsvp", kwargs={"pk": other.pk})).status_code == 404
    # a member may not send invitations
    invite = reverse("people:event_invite", kwargs={"pk": activity.pk})
    assert client.post(invite, {"who": "members"}).status_code == 403

    PersonFactory.create(network=network_a, status="confirmed", language="en")
    PersonFactory.create(network=network_a, status="signed_up")
    coordinator = client_for(coordinator_a)
    checkin = coordinator.get(reverse("people:checkin", kwargs={"pk": activity.pk})).content
    assert b"Going: 1" in checkin and b"Capacity: 1" in checkin
    assert coordinator.post(invite, {"who": "nobody"}).status_code == 302
    assert not Delivery.objects.filter(purpose="event-invite").exists()
    coordinator.post(invite, {"who": "members"})
    # Marisol answered already: only the other confirmed member is invited, in English
    sent = Delivery.objects.get(purpose="event-invite")
    assert sent.language == "en" and "Reply YES" in sent.body


@pytest.mark.django_db
def test_training_sessions_share_the_calendar_with_events(network_a, coordinator_a):
    from django.urls import reverse

    from amparo.conftest import client_for
    from amparo.people.models import TrainingSession, TrainingType

    _event(network_a, title="Vigilia")
    TrainingSession.objects.create(
        network=network_a,
        training_type=TrainingType.objects.get(network=network_a, slug="orientation"),
        starts_at=timezone.now() + timedelta(days=2),
        language="es",
        place="Salón del sindicato",
        capacity=20,
    )
    page = client_for(coordinator_a, "es").get(reverse("people:activities")).content.decode()
    assert "Vigilia" in page and "Salón del sindicato" in page
    assert "0 de 20 lugares ocupados" in page


@pytest.mark.django_db
def test_by_text_alone_in_spanish_whats_next_then_yes_then_cancel(network_a):
    """End to end in Spanish: ¿QUÉ SIGUE? → the next event in Spanish; SÍ → on the
    list (a Spanish answer); NO PUEDO → off it (a Spanish answer), a waiting person
    moves up."""
    PersonFactory.create(network=network_a, phone="+14135550631", language="es")
    other = PersonFactory.create(network=network_a, phone="+14135550632", language="es")
    activity = _event(network_a, days=4, capacity=1, title="Asamblea")
    assert _reply(network_a, "+14135550631", "¿Qué sigue?").handled_by == events.HANDLER
    answer = Delivery.objects.filter(purpose="reply").latest("id")
    assert answer.language == "es" and "Asamblea" in answer.body
    assert "Responda SI" in answer.body

    assert _reply(network_a, "+14135550631", "SÍ").handled_by == events.HANDLER
    answer = Delivery.objects.filter(purpose="reply").latest("id")
    assert answer.language == "es" and answer.body.startswith("Está en la lista")
    events.event_invite(activity=activity, people=[other])
    _reply(network_a, "+14135550632", "si")
    assert Rsvp.objects.get(person=other).status == Rsvp.Status.WAITING

    assert _reply(network_a, "+14135550631", "No puedo").handled_by == events.HANDLER
    answer = Delivery.objects.filter(purpose="reply").latest("id")
    assert answer.language == "es" and answer.body.startswith("Gracias por avisarnos")
    assert Rsvp.objects.get(person=other).status == Rsvp.Status.GOING
    assert Delivery.objects.filter(purpose="event-rsvp").get().language == "es"
