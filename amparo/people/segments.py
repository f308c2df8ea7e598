from __future__ import annotations

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User

from .filters import PeopleFilter
from .models import Segment


def segment_save(
    *, network: Network, name: str, people_filter: PeopleFilter, actor: User | None = None
) -> Segment:
    segment = Segment.objects.create(
        network=network, name=name.strip(), filters=people_filter.to_dict(), created_by=actor
    )
    audit_record(action=AuditEvent.Action.CREATE, actor=actor, network=network, obj=segment)
    return segment
