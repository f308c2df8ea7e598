"""Test data, made through the real services (factory_boy): one way to make a network,
an account and a person. A test names only what matters to it; the rest has defaults."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import factory
from django.utils import timezone

from amparo.accounts.models import Network, Role, User
from amparo.accounts.roles import sync_default_roles
from amparo.accounts.services import membership_grant, network_create, user_create
from amparo.people.counts import people_changed
from amparo.people.models import Person
from amparo.people.reach import reach_refresh
from amparo.people.services import PersonData, person_upsert

PASSWORD = "correct horse battery staple"
_PERSON_DATA = {f.name for f in dataclasses.fields(PersonData)}


class NetworkFactory(factory.Factory[Network]):
    """A network with the other apps' defaults (roles, committees, training types)."""

    class Meta:
        model = Network

    slug = factory.Sequence(lambda n: f"net-{n}")
    name = factory.LazyAttribute(lambda o: f"Network {o.slug}")
    hotline_number = "+1 413 555 0100"

    @classmethod
    def _create(cls, model_class: type[Network], **kwargs: Any) -> Network:
        sync_default_roles(Role)  # transactional tests empty every table, these too
        return network_create(**kwargs)


class UserFactory(factory.Factory[User]):
    """An account with a password, a member of ``network`` with ``roles`` (if given)."""

    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    display_name = ""
    language = "en"
    password = PASSWORD
    network = None
    roles: Any = ()

    @classmethod
    def _create(
        cls, model_class: type[User], *, network: Network | None, roles: Any, **kwargs: Any
    ) -> User:
        user = user_create(**kwargs)
        if network is not None:
            membership_grant(user=user, network=network, roles=list(roles))
        return user


def _trainings(o: Any) -> list[tuple[str, date]]:
    if not o.trained:
        return []
    on = timezone.localdate() if o.trained is True else o.trained
    return [(role, on) for role in o.roles]  # roles without a training type are skipped


class PersonFactory(factory.Factory[Person]):
    """An active person through ``person_upsert`` (phones, roles, areas, trainings, audit).

    ``phone``: their one number (a new one by default, "" for none; ``phones`` for
    several); ``place``: their area; ``trained``: True (today) or the date they completed
    the training of each of their roles; ``user``: their login. Any other keyword is a
    Person field (``available_now``, ``quiet_start``…), set after."""

    class Meta:
        model = Person

    class Params:
        phone = factory.Sequence(lambda n: f"+1617555{n % 10000:04d}")
        place = None
        trained: Any = None

    network = factory.SubFactory(NetworkFactory)
    name = factory.Sequence(lambda n: f"Persona {n}")
    phones = factory.LazyAttribute(lambda o: [o.phone] if o.phone else [])
    language = "es"
    status = Person.Status.ACTIVE
    roles: Any = ()
    places = factory.LazyAttribute(lambda o: [o.place.pk] if o.place else [])
    trainings = factory.LazyAttribute(_trainings)

    @classmethod
    def _create(cls, model_class: type[Person], *, network: Network, **kwargs: Any) -> Person:
        data = {key: kwargs.pop(key) for key in _PERSON_DATA & kwargs.keys()}
        data["roles"] = list(data.get("roles") or ())
        person, _outcome = person_upsert(network=network, data=PersonData(**data))
        for key, value in kwargs.items():
            setattr(person, key, value)
        if kwargs:
            person.save(update_fields=list(kwargs))
            reach_refresh([person.pk])  # as the services do after an opt-out
            people_changed(network_id=network.pk, person_ids=[person.pk])
        return person


class MemberFactory(PersonFactory):
    roles: Any = ("member",)


class ResponderFactory(PersonFactory):
    """A rapid responder, trained today (``trained=False``: not trained)."""

    class Params:
        trained = True

    roles: Any = ("rapid-responder",)


class VerifierFactory(ResponderFactory):
    """A verifier, trained today (``trained=False``: not trained)."""

    roles: Any = ("verifier",)
