"""Demo seed (fiction): two people in sanctuary in two congregations with a week of
turns, half of them taken; a few families' needs on the subcommittees' boards; three
members' family plans."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from amparo.accounts.models import Network, User
from amparo.cases.models import Case
from amparo.people.models import Committee, Organization, Person

from .models import RotaSlot, Sanctuary
from .services import need_add, plan_save

DATA = json.loads((Path(__file__).parent / "demo.json").read_text(encoding="utf-8"))


@transaction.atomic
def seed_support(network: Network) -> None:
    if Sanctuary.objects.filter(network=network).exists():
        return
    cases = list(Case.objects.filter(network=network, closed_at__isnull=True, kind="detention"))
    churches = list(Organization.objects.filter(network=network, kind="congregation")[:2])
    solidarity = Committee.objects.filter(network=network, slug="solidarity").first()
    volunteers = list(Person.objects.filter(network=network, committees__isnull=False)[:6])
    contact = User.objects.find_by_email("committee@valle.example")
    zone, today = network.zone(), timezone.localdate()
    for n, (case, church) in enumerate(zip(cases[-2:], churches, strict=False)):
        sanctuary = Sanctuary.objects.create(
            network=network, case=case, congregation=church, committee=solidarity,
            contact=contact if n == 0 else None,
        )  # fmt: skip
        RotaSlot.objects.bulk_create(
            RotaSlot(
                sanctuary=sanctuary,
                kind=kind,
                hours=hours,
                starts_at=datetime.combine(today + timedelta(days=day), time(hour), tzinfo=zone),
                person=volunteers[(day + i) % len(volunteers)]
                if volunteers and (day + i) % 2
                else None,
            )  # fmt: skip
            for day in range(7)
            for i, (kind, hour, hours) in enumerate(DATA["day"])
        )
    actor = User.objects.find_by_email("cases@valle.example") or User()
    for case, (kind, words) in zip(cases[:5] if actor.pk else [], DATA["needs"], strict=False):
        need_add(case=case, kind=kind, words=words, due=today + timedelta(days=3), actor=actor)
    for plan in DATA["plans"]:
        if (owner := User.objects.find_by_email(plan["owner"])) is not None:
            viewers = f"{plan['viewer']}, +1 413 555 0161"
            language = owner.language
            plan_save(
                network=network, owner=owner, language=language, body=plan["body"], viewers=viewers
            )
