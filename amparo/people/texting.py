"""Texting one person through the one outbox: the number to text them at (none when
they opted out or no phone takes texts) and an already-translated message to it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import translation

from amparo.channels.outbox import outbox_write
from amparo.channels.registry import sms_channel

from .models import Person
from .reach import reach_numbers


def person_sms_number(person: Person) -> str:
    """The number to text ``person`` at ("" when opted out or none works)."""
    return reach_numbers([person], "sms").get(person.pk, "")


def person_text(person: Person, body: str, purpose: str) -> bool:
    """Text ``person`` an already-translated ``body`` through the outbox; False when
    they cannot be texted."""
    channel = sms_channel()
    number = person_sms_number(person) if channel else ""
    if not number:
        return False
    outbox_write(
        network=person.network,
        channel=channel,
        to=number,
        body=body,
        purpose=purpose,
        language=person.language,
    )
    return True


def people_text(people: Iterable[Person], make: Any, purpose: str) -> int:
    """Text each of ``people`` the message ``make()`` writes in their language."""
    sent = 0
    for person in people:
        with translation.override(person.language):
            body = make()
        if person_text(person, body, purpose):
            sent += 1
    return sent
