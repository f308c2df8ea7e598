"""A person's hearings in their calendar feed (people/calendar.py): those they go to and
those of the cases whose team they are on. The time and the court, never the name."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext as _
from icalendar import Event

from amparo.cases.models import CaseTeamMember
from amparo.people.calendar import calendar_event
from amparo.people.models import Person

from .models import Accompaniment, Hearing
from .services import hearing_link


def hearing_events(*, person: Person, since: datetime) -> Iterator[Event]:
    mine = Q(accompaniments__person=person, accompaniments__status=Accompaniment.Status.GOING)
    if person.user_id:
        teams = CaseTeamMember.objects.filter(user_id=person.user_id).values("case")
        mine |= Q(case__in=teams)
    hearings = (
        Hearing.objects.filter(mine, network=person.network_id, starts_at__gte=since)
        .select_related("case")
        .distinct()
        .order_by("starts_at")[:200]
    )
    for hearing in hearings:
        yield calendar_event(
            f"hearing-{hearing.pk}",
            hearing.starts_at,
            _("Court hearing (%(kind)s), code %(code)s")
            % {"kind": hearing.get_kind_display(), "code": hearing.code},
            location=hearing.court,
            url=hearing_link(hearing),
        )
