"""The referral directory: the network's organizations a responder can refer to,
searchable by need (need → organization kind, as data) and by words of the name.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import Network
from amparo.people.models import Organization

K = Organization.Kind

#: need -> (label, organization kinds that help with it, best first)
NEEDS: dict[str, tuple[object, tuple[str, ...]]] = {
    "legal": (_("Free legal help (immigration, detention, bond)"), (K.LEGAL,)),
    "workplace": (_("Workplace rights (wages, harassment, retaliation)"), (K.UNION, K.LEGAL)),
    "audit": (_("I-9 audit or no-match letter"), (K.UNION, K.LEGAL)),
    "sanctuary": (_("Sanctuary, shelter, spiritual support"), (K.CONGREGATION,)),
    "community": (_("Food, rides, childcare, community support"), (K.PARTNER, K.CONGREGATION)),
    "office": (_("Public offices and consulates"), (K.OFFICE,)),
}
REFERRAL_KINDS = (K.LEGAL, K.PARTNER, K.OFFICE, K.CONGREGATION, K.UNION)
MAX_QUERY = 80


def need_choices() -> list[tuple[str, object]]:
    return [(slug, label) for slug, (label, _kinds) in NEEDS.items()]


def referrals_search(*, network: Network, need: str = "", text: str = "") -> list[Organization]:
    """Organizations of ``network`` for ``need`` (ordered by how well their kind fits)."""
    kinds: tuple[str, ...] = NEEDS[need][1] if need in NEEDS else REFERRAL_KINDS
    qs: QuerySet[Organization] = Organization.objects.filter(network=network, kind__in=kinds)
    words = (text or "").strip()[:MAX_QUERY].split()
    for word in words[:5]:
        qs = qs.filter(name__icontains=word)
    rank = {kind: i for i, kind in enumerate(kinds)}
    return sorted(qs[:500], key=lambda o: (rank.get(o.kind, 99), o.name.casefold()))
