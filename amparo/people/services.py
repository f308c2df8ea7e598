"""Writes for people. Everything that creates or changes a person goes through here."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from amparo.accounts.access import members_with_capability
from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User
from amparo.lib import geo
from amparo.lib.crypto.blind import email_index, fold, phone_index
from amparo.lib.phones import normalize_phone

from .counts import people_changed
from .coverage import coverage_write
from .models import (
    Person,
    PersonArea,
    PersonPhone,
    PersonRole,
    PersonTraining,
    Place,
    TrainingSession,
    TrainingType,
)
from .reach import REACH_FIELDS, phones_restore, reach_new, reach_refresh


@dataclass
class PersonData:
    """Everything a form, an import row or a sign-up can say about a person.

    ``phones`` are already E.164; ``None`` for a field means "leave as it is" on update.
    """

    name: str
    phones: list[str] = field(default_factory=list)
    email: str = ""
    language: str | None = None
    other_languages: list[str] | None = None  # besides ``language``
    roles: list[str] | None = None  # PersonRole slugs
    places: list[int] | None = None  # Place ids
    skills: list[str] | None = None
    notes: str | None = None
    status: str | None = None
    trainings: list[tuple[str, date]] = field(default_factory=list)  # (type slug, completed on)


def find_existing(
    *, network: Network, phones: Iterable[str] = (), email: str = ""
) -> Person | None:
    """The person in ``network`` with any of these phones or this email (blind indexes)."""
    indexes = [phone_index(p) for p in phones if p]
    if indexes:
        # Written out: every sign-up asks inside its write transaction, where Django
        # compiling the join cost ~0.8 ms of CPU and running it 0.05 (issue 16).
        person, phone = Person._meta.db_table, PersonPhone._meta.db_table
        found = Person.objects.raw(
            f'SELECT p.* FROM "{person}" p JOIN "{phone}" ph ON ph.person_id = p.id '  # noqa: S608 - the models' tables, values bound
            f"WHERE p.network_id = %s AND ph.number_index IN ({', '.join(['%s'] * len(indexes))}) "
            "ORDER BY p.id LIMIT 1",
            [network.pk, *indexes],
        )
        for match in found:
            return match
    if email.strip():
        return Person.objects.filter(network=network, email_index=email_index(email)).first()
    return None


def people_with_capability(network: Network, capability: str) -> list[Person]:
    """The people to tell when something needs whoever holds ``capability`` (the
    dispatchers, the coordinators): their login's roles hold it in ``network`` (active
    membership, active account), and they can be reached — neither inactive nor removed,
    nor opted out of everything. A channel's own opt-out is the sender's to check."""
    users = [m.user_id for m in members_with_capability(network, capability)]
    return list(
        Person.objects.filter(network=network, user_id__in=users, opted_out_at__isnull=True)
        .active()
        .order_by("pk")
    )


def _set_phones(
    person: Person, phones: Sequence[str], *, new: bool = False, restore: bool = False
) -> bool:
    """Add the phones the person lacks (``restore``: a number entered again by hand
    takes texts and calls again, whatever a provider said of it: reach.phones_restore)."""
    existing: dict[str, PersonPhone | None] = {}
    if not new:  # a person just created has none to read
        existing = {p.number_index: p for p in person.phones.all()}
    changed = False
    again = []
    for position, number in enumerate(phones):
        e164 = normalize_phone(number)
        if phone_index(e164) not in existing:
            PersonPhone.objects.create(
                person=person, number=e164, is_primary=not existing and position == 0
            )
            existing[phone_index(e164)] = None
            changed = True
        else:
            again.append(phone_index(e164))
    if restore and again:
        changed |= phones_restore(person.phones.filter(number_index__in=again))
    return changed


def set_areas(
    person: Person,
    *,
    places: Iterable[Place] = (),
    points: Iterable[dict[str, float]] = (),
    new: bool = False,
) -> None:
    """Replace the areas a person covers and recompute their coverage cells (``new``: a
    person just created, with none to delete and counts the caller marks changed)."""
    if not new:
        person.areas.all().delete()
    circles = []
    for place in places:
        PersonArea.objects.create(person=person, place=place, cell=place.h3_cell, radius_km=5.0)
        circles.append((place.latitude, place.longitude, 5.0))
    for point in points:
        lat, lng, radius = point["lat"], point["lng"], float(point.get("radius_km", 5.0))
        PersonArea.objects.create(
            person=person,
            point={"lat": lat, "lng": lng},
            cell=geo.cell_for(lat, lng),
            radius_km=radius,
        )
        circles.append((lat, lng, radius))
    coverage_write(network_id=person.network_id, circles={person.pk: circles}, replace=not new)
    if not new:
        people_changed(network_id=person.network_id, person_ids=[person.pk])


def record_training(
    *,
    person: Person,
    training_type: TrainingType,
    completed_on: date,
    session: TrainingSession | None = None,
) -> PersonTraining:
    training, _ = PersonTraining.objects.get_or_create(
        person=person,
        training_type=training_type,
        completed_on=completed_on,
        defaults={"expires_on": training_type.expires_on(completed_on), "session": session},
    )
    people_changed(network_id=person.network_id, person_ids=[person.pk])
    return training


def _apply(person: Person, data: PersonData, *, merge: bool = False) -> list[str]:
    """Set the clear fields from data; return the names of fields that changed.

    ``merge``: the person was already there (found by a phone or the email) and this
    only adds to what Amparo knows: their name, preferred language, email and notes
    stay when they have them (a form's or a spreadsheet's default must not turn a
    Spanish speaker's texts into English); other languages and skills are added."""
    if merge:
        spoken = person.speaks()
        said = [code for code in [data.language, *(data.other_languages or [])] if code]
        added = [code for code in dict.fromkeys(said) if code not in spoken]
        data = replace(
            data,
            name="" if person.name else data.name,
            email="" if person.email else data.email,
            notes=None if person.notes else data.notes,
            status=None,  # a removed or inactive person is not made active again by a merge
            language=None,
            other_languages=[*spoken[1:], *added] if added else None,
            skills=list(dict.fromkeys([*person.skills, *data.skills]))
            if data.skills and person.skills
            else data.skills,
        )
    changed = []
    if data.language is not None or data.other_languages is not None:
        preferred = data.language or person.language
        others = data.other_languages if data.other_languages is not None else person.speaks()[1:]
        before = person.languages_spoken
        person.set_languages(preferred, others)
        if person.languages_spoken != before:
            changed.append("languages")
    simple: dict[str, Any] = {
        "name": data.name.strip() or person.name,
        "skills": data.skills,
        "notes": data.notes,
    }
    if data.email:
        email = data.email.strip().lower()
        taken = (
            Person.objects.filter(network_id=person.network_id, email_index=email_index(email))
            .exclude(pk=person.pk)
            .exists()
        )
        if not taken:  # an email already someone else's is never moved to this person
            simple["email"] = email
    for name, value in simple.items():
        if value is not None and getattr(person, name) != value:
            setattr(person, name, value)
            changed.append(name)
    if data.status and data.status != person.status:
        person.status = data.status
        person.status_changed_at = timezone.now()
        changed.append("status")
    return changed


@transaction.atomic
def person_upsert(
    *,
    network: Network,
    data: PersonData,
    source: str = Person.Source.MANUAL,
    consent_method: str = "",
    consent_version: str = "",
    actor: User | None = None,
    existing: Person | None = None,
    looked_up: bool = False,
    defer: list[Callable[[], None]] | None = None,
) -> tuple[Person, str]:
    """Create the person, or merge into the one with the same phone or email
    (``existing``: the caller found them already; ``looked_up``: the caller's
    :func:`find_existing` found nobody, so it is not asked again; ``defer``: the
    writes to rows every change shares (the people versions, the audit chain's lock)
    are appended to it, for the caller to run last, just before its commit).

    Returns (person, "created" | "updated" | "unchanged"). Merging only adds: phones,
    roles, areas and trainings are added to what is there, never removed.
    """
    person = existing
    if person is None and not looked_up:
        person = find_existing(network=network, phones=data.phones, email=data.email)
    outcome = "unchanged"
    if person is None:
        person = Person(network=network, source=source)
        person.set_languages(data.language or "es")
        if consent_method:
            person.consent_at = timezone.now()
            person.consent_method = consent_method
            person.consent_version = consent_version
        changed = _apply(person, data)
        reach_new(person, phones=len(data.phones))
        person.save()
        outcome = "created"
    else:
        # A sign-up not yet confirmed is still the person's own draft: signing up again
        # corrects it. Anything else only adds.
        draft = source == Person.Source.SIGNUP and person.status == Person.Status.SIGNED_UP
        changed = _apply(person, data, merge=not draft)
        if changed:
            person.save()
            outcome = "updated"
    new = outcome == "created"  # nothing of theirs to read back: fewer statements per sign-up
    if _set_phones(person, data.phones, new=new, restore=source == Person.Source.MANUAL):
        changed.append("phones")
    if data.roles:
        wanted = set(
            PersonRole.objects.filter(network=network, slug__in=data.roles).values_list(
                "pk", flat=True
            )
        )
        have = set() if new else set(person.roles.values_list("pk", flat=True))
        if wanted - have:
            person.roles.add(*(wanted - have))
            changed.append("roles")
    if data.places:
        have_places = set()
        if not new:
            have_places = set(person.areas.exclude(place=None).values_list("place_id", flat=True))
        if set(data.places) - have_places:
            places = list(
                Place.objects.filter(network=network, pk__in=set(data.places) | have_places)
            )
            points = [] if new else [a.point for a in person.areas.filter(place=None) if a.point]
            set_areas(person, places=places, points=points, new=new)
            changed.append("areas")
    for slug, completed_on in data.trainings:
        training_type = TrainingType.objects.filter(network=network, slug=slug).first()
        if training_type is not None:
            _obj, created = PersonTraining.objects.get_or_create(
                person=person,
                training_type=training_type,
                completed_on=completed_on,
                defaults={"expires_on": training_type.expires_on(completed_on)},
            )
            if created:
                changed.append("trainings")
    if outcome == "unchanged" and changed:
        outcome = "updated"
    if not new and {"phones", "email"} & set(changed):
        reach_refresh([person.pk])
        person.refresh_from_db(fields=REACH_FIELDS)  # a later save() keeps them
    if outcome != "unchanged":
        action = AuditEvent.Action.CREATE if outcome == "created" else AuditEvent.Action.UPDATE

        def shared() -> None:
            people_changed(network_id=network.pk, person_ids=[person.pk])
            audit_record(
                action=action, actor=actor, network=network, obj=person, fields=changed, note=source
            )

        if defer is None:
            shared()
        else:
            defer.append(shared)
    return person, outcome


@transaction.atomic
def person_edit(
    *, person: Person, data: PersonData, remove_phones: Iterable[int] = (), actor: User
) -> list[str]:
    """A coordinator's correction: name, email, languages, roles, places and notes are
    replaced by ``data`` (unlike :func:`person_upsert`, which only adds); ``data.phones``
    holds the primary number (none: the primary is removed), and ``remove_phones`` the
    ids of other phones to delete. Returns the names of the fields that changed."""
    changed = _apply(person, data)
    if not data.email and person.email:
        person.email = ""
        changed.append("email")
    if changed:
        person.save()
    index = phone_index(data.phones[0]) if data.phones else None
    gone = person.phones.filter(Q(pk__in=list(remove_phones)) | Q(is_primary=True))
    removed = gone.exclude(number_index=index).delete()[0]
    # restore=False: the form shows the number it had; "It works again" restores one
    if _set_phones(person, data.phones) or removed:
        changed.append("phones")
    if index is not None:  # the number in the form's phone field is the primary one
        person.phones.exclude(number_index=index).update(is_primary=False)
        person.phones.filter(number_index=index).update(is_primary=True)
    wanted = PersonRole.objects.filter(network_id=person.network_id, slug__in=data.roles or [])
    if set(wanted) != set(person.roles.all()):
        person.roles.set(wanted)
        changed.append("roles")
    areas = list(person.areas.all())
    offered = set(Place.choices(person.network).values_list("pk", flat=True))
    kept = {a.place_id for a in areas if a.place_id and a.place_id not in offered}
    wanted_places = set(data.places or []) | kept  # a place the form does not list stays
    places = list(Place.objects.filter(network_id=person.network_id, pk__in=wanted_places))
    if {p.pk for p in places} != {a.place_id for a in areas if a.place_id}:
        set_areas(person, places=places, points=[a.point for a in areas if a.point])
        changed.append("areas")
    if {"phones", "email"} & set(changed):
        reach_refresh([person.pk])
    if changed:
        people_changed(network_id=person.network_id, person_ids=[person.pk])
        audit_record(action=AuditEvent.Action.UPDATE, actor=actor, obj=person, fields=changed)
    return changed


def person_set_status(*, person: Person, status: str, actor: User | None = None) -> None:
    if person.status == status:
        return
    Person.objects.filter(pk=person.pk).update(status=status, status_changed_at=timezone.now())
    person.status = status
    people_changed(network_id=person.network_id, person_ids=[person.pk])
    audit_record(action=AuditEvent.Action.UPDATE, actor=actor, obj=person, fields=["status"])


def person_opt_out(*, person: Person, channel: str | None = None) -> None:
    """Honour an opt-out: one channel, or (channel None) every channel."""
    if channel is None:
        person.opted_out_at = timezone.now()
        person.save(update_fields=["opted_out_at"])
    elif channel not in person.opted_out_of():
        person.opted_out_channels = " " + " ".join([*person.opted_out_of(), channel]) + " "
        person.save(update_fields=["opted_out_channels"])
    reach_refresh([person.pk])
    people_changed(network_id=person.network_id, person_ids=[person.pk])
    audit_record(
        action=AuditEvent.Action.UPDATE, obj=person, fields=["opted_out"], note=channel or "all"
    )


def place_get_or_create(
    *,
    network: Network,
    name: str,
    latitude: float,
    longitude: float,
    kind: str = "town",
    postal_code: str = "",
) -> Place:
    place = Place.objects.filter(network=network, kind=kind, name_folded=fold(name).strip()).first()
    if place is None:
        place = Place.objects.create(
            network=network,
            kind=kind,
            name=name.strip(),
            postal_code=postal_code,
            latitude=latitude,
            longitude=longitude,
            h3_cell=geo.cell_for(latitude, longitude),
        )
    return place


def place_lookup(*, network: Network, text: str) -> Place | None:
    """A town by name (any accents or case) or a ZIP code."""
    text = text.strip()
    if not text:
        return None
    return (
        Place.objects.filter(network=network, name_folded=fold(text)).first()
        or Place.objects.filter(network=network, postal_code=text).first()
    )
