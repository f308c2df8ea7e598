"""Trainings: who is available for a role (the rule as data), sessions, sign-ups within
capacity, attendance that records the training and moves the pipeline; tenancy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from amparo.accounts.models import AuditEvent
from amparo.conftest import client_for
from amparo.people import trainings as svc
from amparo.people.filters import may_be_alerted_as
from amparo.people.models import (
    Person,
    PersonRole,
    PersonTraining,
    TrainingSession,
    TrainingSignup,
    TrainingType,
)
from amparo.people.participation import network_zone
from amparo.people.services import record_training
from amparo.tests.factories import PersonFactory


def _type(network, slug):
    return TrainingType.objects.get(network=network, slug=slug)


def _session(network, slug, *, days=-1, capacity=30):
    return svc.session_create(
        network=network,
        training_type=_type(network, slug),
        starts_at=timezone.now() + timedelta(days=days),
        language="es",
        capacity=capacity,
    )


# --- may_be_alerted_as (the trainings part) -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_role_needs_a_valid_training_of_every_required_type(network_a):
    today = timezone.localdate()
    role = PersonRole.objects.get(network=network_a, slug="rapid-responder")
    rapid = _type(network_a, "rapid-responder")
    assert list(role.required_trainings.all()) == [rapid]

    valid = PersonFactory.create(
        network=network_a, name="Válida Vigente", phone="+14135550401", roles=["rapid-responder"]
    )
    record_training(person=valid, training_type=rapid, completed_on=today - timedelta(days=30))
    expired = PersonFactory.create(
        network=network_a, name="Vencida Antigua", phone="+14135550402", roles=["rapid-responder"]
    )
    record_training(person=expired, training_type=rapid, completed_on=today - timedelta(days=400))
    untrained = PersonFactory.create(
        network=network_a, name="Sin Curso", phone="+14135550403", roles=["rapid-responder"]
    )
    no_role = PersonFactory.create(network=network_a, name="Sin Rol", phone="+14135550404")
    record_training(person=no_role, training_type=rapid, completed_on=today)
    gone = PersonFactory.create(
        network=network_a,
        name="Inactiva Ida",
        phone="+14135550405",
        roles=["rapid-responder"],
        status="inactive",
    )
    record_training(person=gone, training_type=rapid, completed_on=today)
    # an old expired record and a fresh one: the fresh one counts, and only once
    record_training(person=valid, training_type=rapid, completed_on=today - timedelta(days=700))

    assert list(may_be_alerted_as(network_a, [role.slug])) == [valid]
    # the day the training expires it still counts; the day after it does not
    expires = PersonTraining.objects.get(
        person=valid, completed_on=today - timedelta(days=30)
    ).expires_on
    assert expires is not None
    assert list(may_be_alerted_as(network_a, [role.slug], on=expires)) == [valid]
    assert list(may_be_alerted_as(network_a, [role.slug], on=expires + timedelta(days=1))) == []
    assert untrained not in may_be_alerted_as(network_a, [role.slug])

    # the rule is data: require KYR too, and nobody qualifies until they have it
    kyr = _type(network_a, "kyr")
    role.required_trainings.add(kyr)
    assert list(may_be_alerted_as(network_a, [role.slug])) == []
    record_training(person=valid, training_type=kyr, completed_on=today)
    assert list(may_be_alerted_as(network_a, [role.slug])) == [valid]


@pytest.mark.django_db
def test_a_role_without_requirements_is_everyone_holding_it(network_a, network_b):
    role = PersonRole.objects.get(network=network_a, slug="driver")
    assert not role.required_trainings.exists()
    driver = PersonFactory.create(
        network=network_a, name="Chofer Uno", phone="+14135550411", roles=["driver"]
    )
    PersonFactory.create(network=network_a, name="Otra Persona", phone="+14135550412")
    PersonFactory.create(
        network=network_b, name="Chofer De Bee", phone="+14135550413", roles=["driver"]
    )
    assert list(may_be_alerted_as(network_a, [role.slug])) == [driver]


@pytest.mark.django_db
def test_a_training_that_never_expires_stays_valid(network_a):
    role = PersonRole.objects.get(network=network_a, slug="childcare")  # needs orientation
    person = PersonFactory.create(
        network=network_a, name="Cuidadora Siempre", phone="+14135550421", roles=["childcare"]
    )
    record_training(
        person=person,
        training_type=_type(network_a, "orientation"),
        completed_on=timezone.localdate() - timedelta(days=3000),
    )
    assert list(may_be_alerted_as(network_a, [role.slug])) == [person]


# --- sessions ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_coordinator_creates_a_session_and_sees_it_listed(network_a, coordinator_a):
    client = client_for(coordinator_a)
    assert client.get(reverse("people:training_new")).status_code == 200
    response = client.post(
        reverse("people:training_new"),
        {
            "training_type": _type(network_a, "kyr").pk,
            "starts_at": "2030-04-02T18:00",
            "ends_at": "2030-04-02T20:00",
            "language": "es",
            "place": "Iglesia San José",
            "capacity": "25",
        },
    )
    assert response.status_code == 302
    session = TrainingSession.objects.get(network=network_a)
    # the form's time is the network's local time (America/New_York)
    local = timezone.localtime(session.starts_at, network_zone(network_a))
    assert (local.hour, local.minute) == (18, 0)
    assert session.capacity == 25
    listing = client.get(reverse("people:trainings"), {"type": "kyr"}).content.decode()
    assert reverse("people:training_session", kwargs={"pk": session.pk}) in listing
    other = client.get(reverse("people:trainings"), {"type": "hotline"}).content.decode()
    assert reverse("people:training_session", kwargs={"pk": session.pk}) not in other
    assert AuditEvent.objects.filter(target_type="people.trainingsession").count() == 1


@pytest.mark.django_db
def test_a_session_that_ends_before_it_starts_is_refused(network_a, coordinator_a):
    response = client_for(coordinator_a).post(
        reverse("people:training_new"),
        {
            "training_type": _type(network_a, "kyr").pk,
            "starts_at": "2030-04-02T18:00",
            "ends_at": "2030-04-02T17:00",
            "language": "es",
            "capacity": "0",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "A session must end after it starts." in page
    assert "A session needs at least one seat." in page
    assert not TrainingSession.objects.exists()


@pytest.mark.django_db
def test_volunteer_without_the_trainings_capability_gets_403(network_a, volunteer_a):
    session = _session(network_a, "orientation")
    person = PersonFactory.create(network=network_a, name="Ana Anónima", phone="+14135550431")
    signup, _ = svc.session_sign_up(session=session, person=person)
    client = client_for(volunteer_a)
    assert client.get(reverse("people:trainings")).status_code == 403
    assert client.get(reverse("people:training_new")).status_code == 403
    assert client.post(reverse("people:training_new"), {}).status_code == 403
    detail = client.get(reverse("people:training_session", kwargs={"pk": session.pk}))
    assert detail.status_code == 403 and "Ana Anónima" not in detail.content.decode()
    signup_url = reverse("people:training_signup", kwargs={"pk": session.pk})
    assert client.post(signup_url, {"person": person.pk}).status_code == 403
    attendance = reverse("people:training_attendance", kwargs={"pk": signup.pk})
    assert client.post(attendance, {"status": "attended"}).status_code == 403
    signup.refresh_from_db()
    assert signup.status == "signed_up"
    assert not PersonTraining.objects.exists()


# --- sign-ups -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sign_up_respects_capacity_with_a_clear_error(network_a, coordinator_a):
    session = _session(network_a, "orientation", days=7, capacity=2)
    people = [
        PersonFactory.create(network=network_a, name=f"Persona Número{i}", phone=f"+1413555044{i}")
        for i in range(3)
    ]
    client = client_for(coordinator_a)
    url = reverse("people:training_signup", kwargs={"pk": session.pk})
    detail = reverse("people:training_session", kwargs={"pk": session.pk})
    page = client.post(detail, {"q": "persona"}).content.decode()
    assert all(p.name in page for p in people)
    for person in people[:2]:
        client.post(url, {"person": person.pk})
    response = client.post(url, {"person": people[2].pk}, follow=True)
    assert "This session is full (2 seats). Choose another session." in response.content.decode()
    assert TrainingSignup.objects.filter(session=session).count() == 2
    with pytest.raises(ValidationError) as error:
        svc.session_sign_up(session=session, person=people[2])
    assert error.value.code == "full"
    assert not TrainingSignup.objects.filter(person=people[2]).exists()
    # a cancelled seat frees one up
    cancelled = TrainingSignup.objects.get(session=session, person=people[0])
    svc.signup_set_status(signup=cancelled, status="cancelled")
    svc.session_sign_up(session=session, person=people[2])
    # and the cancelled person cannot take it back while the session is full
    with pytest.raises(ValidationError):
        svc.signup_set_status(signup=cancelled, status="signed_up")
    assert svc.session_seats_taken(session) == 2


@pytest.mark.django_db
def test_signing_up_twice_changes_nothing(network_a, coordinator_a):
    session = _session(network_a, "orientation", days=7)
    person = PersonFactory.create(network=network_a, name="Doble Intento", phone="+14135550451")
    client = client_for(coordinator_a)
    url = reverse("people:training_signup", kwargs={"pk": session.pk})
    client.post(url, {"person": person.pk})
    response = client.post(url, {"person": person.pk}, follow=True)
    assert "Already signed up." in response.content.decode()
    assert TrainingSignup.objects.filter(session=session, person=person).count() == 1
    assert AuditEvent.objects.filter(target_type="people.trainingsignup").count() == 1


# --- attendance -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_attending_an_orientation_records_it_and_makes_a_new_volunteer_oriented(
    network_a, coordinator_a
):
    session = _session(network_a, "orientation", days=-1)
    newcomer = PersonFactory.create(
        network=network_a, name="Nueva Voluntaria", phone="+14135550461", status="signed_up"
    )
    confirmed = PersonFactory.create(
        network=network_a, name="Ya Confirmado", phone="+14135550462", status="confirmed"
    )
    veteran = PersonFactory.create(
        network=network_a, name="Vieja Activa", phone="+14135550463", status="active"
    )
    client = client_for(coordinator_a)
    for person in (newcomer, confirmed, veteran):
        signup, _ = svc.session_sign_up(session=session, person=person)
        url = reverse("people:training_attendance", kwargs={"pk": signup.pk})
        assert client.post(url, {"status": "attended"}).status_code == 302
    for person in (newcomer, confirmed, veteran):
        person.refresh_from_db()
    assert newcomer.status == "oriented" and confirmed.status == "oriented"
    assert veteran.status == "active"  # never backwards
    training = PersonTraining.objects.get(person=newcomer)
    day = timezone.localtime(session.starts_at, network_zone(network_a)).date()
    assert training.session == session
    assert training.completed_on == day
    assert training.expires_on is None  # orientation never expires
    assert TrainingSignup.objects.filter(session=session, status="attended").count() == 3


@pytest.mark.django_db
def test_a_responder_training_makes_them_trained_with_the_types_validity(network_a):
    session = _session(network_a, "rapid-responder", days=-2)
    oriented = PersonFactory.create(
        network=network_a, name="Ori Entada", phone="+14135550471", status="oriented"
    )
    signup, _ = svc.session_sign_up(session=session, person=oriented)
    training = svc.signup_set_status(signup=signup, status="attended")
    oriented.refresh_from_db()
    assert oriented.status == "trained"
    assert training is not None
    assert training.expires_on == training.completed_on + timedelta(days=365)
    role = PersonRole.objects.get(network=network_a, slug="rapid-responder")
    oriented.roles.add(role)
    assert list(may_be_alerted_as(network_a, [role.slug])) == [oriented]
    # marking it again does nothing new
    svc.signup_set_status(signup=signup, status="attended")
    assert PersonTraining.objects.filter(person=oriented).count() == 1
    # undoing it (did not come after all) removes what this session gave
    svc.signup_set_status(signup=signup, status="no_show")
    assert not PersonTraining.objects.filter(person=oriented).exists()
    assert list(may_be_alerted_as(network_a, [role.slug])) == []


@pytest.mark.django_db
def test_attendance_before_the_session_starts_is_refused(network_a, coordinator_a):
    session = _session(network_a, "orientation", days=3)
    person = PersonFactory.create(
        network=network_a, name="Muy Temprano", phone="+14135550481", status="signed_up"
    )
    signup, _ = svc.session_sign_up(session=session, person=person)
    url = reverse("people:training_attendance", kwargs={"pk": signup.pk})
    response = client_for(coordinator_a).post(url, {"status": "attended"}, follow=True)
    assert "Attendance can be taken once the session has started." in response.content.decode()
    signup.refresh_from_db()
    person.refresh_from_db()
    assert signup.status == "signed_up" and person.status == "signed_up"
    assert not PersonTraining.objects.exists()
    response = client_for(coordinator_a).post(url, {"status": "graduated"}, follow=True)
    assert "Unknown attendance status." in response.content.decode()


@pytest.mark.django_db
def test_session_page_lists_signups(network_a, coordinator_a):
    session = _session(network_a, "orientation", days=-1)
    person = PersonFactory.create(network=network_a, name="Lucía Peña", phone="+14135550491")
    svc.session_sign_up(session=session, person=person)
    page = (
        client_for(coordinator_a)
        .get(reverse("people:training_session", kwargs={"pk": session.pk}))
        .content.decode()
    )
    assert "Lucía Peña" in page
    assert 'value="attended"' in page  # the attendance buttons, plain forms


# --- other networks ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_network_b_gets_404_on_a_sessions(network_a, network_b, coordinator_b):
    session = _session(network_a, "orientation", days=-1)
    person = PersonFactory.create(network=network_a, name="Secreta Deá", phone="+14135550499")
    signup, _ = svc.session_sign_up(session=session, person=person)
    b_session = _session(network_b, "orientation", days=-1)
    client = client_for(coordinator_b)
    detail = client.get(reverse("people:training_session", kwargs={"pk": session.pk}))
    assert detail.status_code == 404 and "Secreta" not in detail.content.decode()
    url = reverse("people:training_signup", kwargs={"pk": session.pk})
    assert client.post(url, {"person": person.pk}).status_code == 404
    url = reverse("people:training_attendance", kwargs={"pk": signup.pk})
    assert client.post(url, {"status": "attended"}).status_code == 404
    # A's person into B's own session: 404 too
    url = reverse("people:training_signup", kwargs={"pk": b_session.pk})
    assert client.post(url, {"person": person.pk}).status_code == 404
    signup.refresh_from_db()
    assert signup.status == "signed_up"
    assert not PersonTraining.objects.exists()
    assert not TrainingSignup.objects.filter(session=b_session).exists()
    listing = client.get(reverse("people:trainings")).content.decode()
    assert reverse("people:training_session", kwargs={"pk": session.pk}) not in listing
    assert Person.objects.filter(network=network_a).count() == 1
