"""Who is behind a number on the sandbox phone (the demo's fictional people): the
sandbox channel cannot import people (layers), so it calls these through
``settings.SANDBOX_NAMES_HOOK`` and ``settings.SANDBOX_SEARCH_HOOK``. Names are
decrypted only for the numbers on the page being shown."""

from __future__ import annotations

from amparo.accounts.models import Network
from amparo.lib.crypto.blind import phone_index

from .models import Person, PersonPhone
from .participation import person_search


def names_for_numbers(*, network: Network, numbers: list[str]) -> dict[str, list[str]]:
    """number -> the names of the people of ``network`` with that number (several
    people may share one; removed people are left out), in one query."""
    by_index = {phone_index(n): n for n in numbers if n}
    found: dict[str, list[str]] = {}
    phones = (
        PersonPhone.objects.filter(person__network=network, number_index__in=list(by_index))
        .exclude(person__status=Person.Status.REMOVED)
        .select_related("person")
        .order_by("person_id")
    )
    for phone in phones:
        found.setdefault(by_index[phone.number_index], []).append(phone.person.name)
    return found


def numbers_for_name(*, network: Network, q: str, limit: int = 50) -> list[str]:
    """The phone numbers of the people whose name matches ``q`` (every typed word a
    prefix of a name part, as the people list searches), at most ``limit`` people."""
    people = person_search(network=network, q=q, limit=limit)
    phones = PersonPhone.objects.filter(person__in=people).select_related("person")
    return list(dict.fromkeys(phone.number for phone in phones.order_by("person_id", "id")))
