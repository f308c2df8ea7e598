"""Demo seed (fiction): two people in sanctuary in two congregations with a week of
turns, half of them taken; a few families' needs on the subcommittees' boards; three
members' family plans."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from amparo.accounts.models import Network, User
from amparo.cases.models import Case
from amparo.people.models import Committee, Organization, Person

from .models import RotaSlot, Sanctuary
from .services import need_add, plan_save

#: (kind, local hour, hours) of each day's turns
DAY = [("meal", 12, 1), ("meal", 18, 1), ("visit", 15, 2), ("overnight", 21, 10)]
NEEDS = [
    ("rides", "Ride to the immigration court in Hartford, Tuesday 8:00"),
    ("food", "Groceries for a family of four this week"),
    ("childcare", "Pick up two children from school, Monday to Friday 15:00"),
    ("rent", "Help with December's rent: $850"),
    ("medical", "Ride to the clinic and an interpreter, Thursday 10:00"),
]
PLANS = [
    ("hotline@valle.example", "Sofía (9): su tía Marta Ríos, 413 555 0161", "Tía Marta Ríos"),
    ("fund@valle.example", "Diego (6) y Ana (3): la vecina Lucía Paz", "Lucía Paz"),
    ("dispatcher@valle.example", "Ben (12): his grandmother Ruth Cole", "Ruth Cole"),
]


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
            network=network,
            case=case,
            congregation=church,
            contact=contact if n == 0 else None,
            committee=solidarity,
            started_at=timezone.now() - timedelta(days=40 + 30 * n),
        )
        slots = []
        for day in range(7):
            for i, (kind, hour, hours) in enumerate(DAY):
                at = datetime.combine(today + timedelta(days=day), time(hour), tzinfo=zone)
                taken = volunteers[(day + i) % len(volunteers)] if volunteers and (day + i) % 2 else None
                slots.append(
                    RotaSlot(sanctuary=sanctuary, kind=kind, starts_at=at, hours=hours, person=taken)
                )
        RotaSlot.objects.bulk_create(slots)
    actor = User.objects.find_by_email("cases@valle.example")
    if actor is not None:
        for case, (kind, words) in zip(cases[:5], NEEDS, strict=False):
            need_add(case=case, kind=kind, words=words, due=today + timedelta(days=3), actor=actor)
    for email, children, viewer in PLANS:
        owner = User.objects.find_by_email(email)
        if owner is not None:
            plan_save(
                network=network,
                owner=owner,
                language=owner.language,
                body={
                    "children": children,
                    "documents": "Caja azul en el armario del cuarto",
                    "contacts": viewer,
                    "lawyer": "Abril Abogada (demo), 413 555 0190",
                },
                viewers=f"{viewer}, +1 413 555 0161",
            )
