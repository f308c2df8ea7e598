"""Trainings: sessions, sign-ups within capacity and attendance (who may be alerted as a
role, trainings included, is ``filters.may_be_alerted_as``).

Attendance is what makes a training count: marking someone as attended records a
``PersonTraining`` (valid for the type's ``validity_days``) and moves them along the
volunteer pipeline (an orientation makes a new volunteer "oriented"; a responder
training makes them "trained"). Writes are audited without names.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User

from .counts import people_changed
from .models import (
    Person,
    PersonTraining,
    TrainingSession,
    TrainingSignup,
    TrainingType,
)
from .participation import network_zone
from .services import person_set_status, record_training

#: Completing one of these types makes a volunteer "oriented" (DOMAIN.md §1).
ORIENTATION_TYPES = frozenset({"orientation"})
#: Completing one of these makes them "trained".
RESPONDER_TYPES = frozenset({"rapid-responder", "hotline", "verifier", "legal-observer"})

#: Sign-ups that hold a seat.
HOLDING = (TrainingSignup.Status.SIGNED_UP, TrainingSignup.Status.ATTENDED)


# --- reading ------------------------------------------------------------------------


def sessions_with_counts(*, network: Network) -> QuerySet[TrainingSession]:
    return (
        TrainingSession.objects.filter(network=network)
        .select_related("training_type")
        .annotate(
            taken=Count("signups", filter=Q(signups__status__in=HOLDING)),
            attended=Count("signups", filter=Q(signups__status=TrainingSignup.Status.ATTENDED)),
        )
    )


def session_seats_taken(session: TrainingSession) -> int:
    return session.signups.filter(status__in=HOLDING).count()


def session_signups(*, session: TrainingSession) -> list[TrainingSignup]:
    """Every sign-up of one session (the page being shown), people's names still sealed."""
    return list(session.signups.select_related("person").order_by("signed_up_at", "id"))


# --- sessions -----------------------------------------------------------------------


def _check_times(starts_at: datetime, ends_at: datetime | None) -> None:
    if ends_at is not None and ends_at <= starts_at:
        raise ValidationError(_("A session must end after it starts."), code="ends_before")


@transaction.atomic
def session_create(
    *,
    network: Network,
    training_type: TrainingType,
    starts_at: datetime,
    language: str,
    ends_at: datetime | None = None,
    place: str = "",
    link: str = "",
    capacity: int = 30,
    trainer: Person | None = None,
    actor: User | None = None,
) -> TrainingSession:
    if training_type.network_id != network.pk:
        raise ValidationError(_("Unknown training type."), code="other_network")
    if trainer is not None and trainer.network_id != network.pk:
        raise ValidationError(_("This person is not in this network."), code="other_network")
    if capacity < 1:
        raise ValidationError(_("A session needs at least one seat."), code="capacity")
    _check_times(starts_at, ends_at)
    session = TrainingSession.objects.create(
        network=network,
        training_type=training_type,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place.strip(),
        link=link.strip(),
        language=language,
        capacity=capacity,
        trainer=trainer,
    )
    audit_record(
        action=AuditEvent.Action.CREATE,
        actor=actor,
        obj=session,
        fields=["training_type", "starts_at", "language", "capacity"],
    )
    return session


# --- sign-ups -----------------------------------------------------------------------


def _full(session: TrainingSession) -> ValidationError:
    return ValidationError(
        _("This session is full (%(capacity)d seats). Choose another session.")
        % {"capacity": session.capacity},
        code="full",
    )


@transaction.atomic
def session_sign_up(
    *, session: TrainingSession, person: Person, actor: User | None = None
) -> tuple[TrainingSignup, bool]:
    """Give ``person`` a seat. Returns (sign-up, created); signing up twice changes nothing.

    Raises ValidationError when the session is full or the person is not in its network.
    """
    if person.network_id != session.network_id:
        raise ValidationError(_("This person is not in this network."), code="other_network")
    if person.status == Person.Status.REMOVED:
        raise ValidationError(_("This person was removed from the network."), code="removed")
    # Lock the session row (PostgreSQL) so two sign-ups cannot take the last seat together;
    # SQLite serialises writers anyway.
    locked = TrainingSession.objects.select_for_update().get(pk=session.pk)
    existing = TrainingSignup.objects.filter(session=locked, person=person).first()
    if existing is not None and existing.status in HOLDING:
        return existing, False
    if session_seats_taken(locked) >= locked.capacity:
        raise _full(locked)
    if existing is not None:  # cancelled or no-show before: take a seat again
        existing.status = TrainingSignup.Status.SIGNED_UP
        existing.signed_up_at = timezone.now()
        existing.attended_at = None
        existing.save(update_fields=["status", "signed_up_at", "attended_at"])
        signup, created = existing, False
        action = AuditEvent.Action.UPDATE
    else:
        signup = TrainingSignup.objects.create(session=locked, person=person)
        created = True
        action = AuditEvent.Action.CREATE
    audit_record(
        action=action,
        actor=actor,
        network=session.network,
        obj=signup,
        fields=["status"],
        note="signed_up",
    )
    return signup, created


def _advance_status(person: Person, training_type: TrainingType, actor: User | None) -> None:
    """Move a volunteer along the pipeline; never backwards, never out of active."""
    status = person.status
    if training_type.slug in RESPONDER_TYPES and status in (
        Person.Status.SIGNED_UP,
        Person.Status.CONFIRMED,
        Person.Status.ORIENTED,
    ):
        person_set_status(person=person, status=Person.Status.TRAINED, actor=actor)
    elif training_type.slug in ORIENTATION_TYPES and status in (
        Person.Status.SIGNED_UP,
        Person.Status.CONFIRMED,
    ):
        person_set_status(person=person, status=Person.Status.ORIENTED, actor=actor)


@transaction.atomic
def signup_set_status(
    *, signup: TrainingSignup, status: str, actor: User | None = None
) -> PersonTraining | None:
    """Take attendance (attended / did not come) or cancel a seat.

    Attended: records the training (``record_training``, valid for the type's
    validity) dated the session's day in the network's time zone, and moves the person
    along the pipeline. Undoing an attendance removes the training this session gave.
    """
    if status not in TrainingSignup.Status.values:
        raise ValidationError(_("Unknown attendance status."), code="invalid_status")
    session = signup.session
    person = signup.person
    before = signup.status
    training: PersonTraining | None = None
    if status == TrainingSignup.Status.SIGNED_UP and before not in HOLDING:  # a seat again
        locked = TrainingSession.objects.select_for_update().get(pk=session.pk)
        if session_seats_taken(locked) >= locked.capacity:
            raise _full(locked)
    if status == TrainingSignup.Status.ATTENDED:
        if session.starts_at > timezone.now():
            raise ValidationError(
                _("Attendance can be taken once the session has started."), code="not_started"
            )
        completed_on = timezone.localtime(session.starts_at, network_zone(session.network)).date()
        training = record_training(
            person=person,
            training_type=session.training_type,
            completed_on=completed_on,
            session=session,
        )
        if before != status:
            audit_record(
                action=AuditEvent.Action.CREATE,
                actor=actor,
                network=session.network,
                obj=training,
                fields=["training_type", "completed_on", "expires_on"],
                note=session.training_type.slug,
            )
        _advance_status(person, session.training_type, actor)
    elif before == TrainingSignup.Status.ATTENDED:
        removed, _detail = PersonTraining.objects.filter(person=person, session=session).delete()
        people_changed(network_id=session.network_id, person_ids=[person.pk])
        if removed:
            audit_record(
                action=AuditEvent.Action.DELETE,
                actor=actor,
                network=session.network,
                obj=signup,
                fields=["training"],
                note=session.training_type.slug,
            )
    if before == status:
        return training
    signup.status = status
    signup.attended_at = timezone.now() if status == TrainingSignup.Status.ATTENDED else None
    signup.save(update_fields=["status", "attended_at"])
    audit_record(
        action=AuditEvent.Action.UPDATE,
        actor=actor,
        network=session.network,
        obj=signup,
        fields=["status"],
        note=f"{before}->{status}",
    )
    return training
