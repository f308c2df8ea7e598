"""The demo's hearings: a month of them on the open detention cases, each with some of
the court accompaniers already going (fewer than wanted on a few, to show the gaps),
on business days as courts sit.
Written directly (no texts go out for the demo); idempotent."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from amparo.accounts.models import Network
from amparo.cases.models import Case, CaseKind
from amparo.lib.businessdays import next_business_day
from amparo.people.filters import role_holders

from .models import Accompaniment, Hearing, HearingKind
from .services import ROLE, _code

COURTS = ["Hartford Immigration Court", "Boston Immigration Court", "Chelmsford Immigration Court"]
KINDS = [HearingKind.MASTER, HearingKind.BOND, HearingKind.INDIVIDUAL]


@transaction.atomic
def seed_hearings(network: Network, *, count: int = 12) -> None:
    if Hearing.objects.filter(network=network).exists():
        return
    cases = list(
        Case.objects.filter(
            network=network, kind=CaseKind.DETENTION, closed_at__isnull=True
        ).order_by("id")[:count]
    )
    people = list(role_holders(network, [ROLE]).order_by("id")[:8])
    today = timezone.localdate(timezone.now(), network.zone())
    for i, case in enumerate(cases):
        day = next_business_day(today + timedelta(days=2 + (i * 26) // max(len(cases), 1)))
        hearing = Hearing.objects.create(
            network=network,
            case=case,
            code=_code(case),
            kind=KINDS[i % len(KINDS)],
            court=COURTS[i % len(COURTS)],
            starts_at=datetime.combine(day, time(9 + i % 4, 0), network.zone()),
            language=case.language,
        )
        going = people[i % max(len(people), 1) :][: 1 + i % 2]
        Accompaniment.objects.bulk_create(
            [Accompaniment(hearing=hearing, person=p, status="going") for p in going]
        )
