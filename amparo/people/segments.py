from __future__ import annotations

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User

from .filters import PeopleFilter
from .models import Segment


def segment_save(
    *, network: Network, name: str, people_filter: PeopleFilter, actor: User | None = None
) -> Segment:
    # A typed name is personal data: a segment never stores it (only what it filters by).
    segment = Segment.objects.create(
        network=network,
        name=name.strip(),
        filters=people_filter.to_dict(include_name=False),
        created_by=actor,
    )
    audit_record(action=AuditEvent.Action.CREATE, actor=actor, network=network, obj=segment)
    return segment
