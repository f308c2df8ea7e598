"""Who opens a rota: members holding the committee capability (the volunteers and
coordinators) and the congregation's contact; any other rota answers 404."""

from __future__ import annotations

from amparo.accounts.access import getter
from amparo.accounts.roles import Cap

from .models import Sanctuary

get_sanctuary_for_user = getter(
    Sanctuary.objects.select_related("network", "congregation", "committee"),
    capability=None,
    all_cap=Cap.COMMITTEE,
    own="contact",
)
