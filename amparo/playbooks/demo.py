"""The demo's contact sheet (fictional offices, data/demo_contacts.json) and the raid's
running playbook: its first steps done, one consulate call recorded."""

from __future__ import annotations

import json

from amparo.accounts.models import Network
from amparo.people.models import Organization
from amparo.reports.models import Incident

from .models import PlaybookStep
from .services import DATA, playbook_start_for, step_done
from .sheet import call_record, step_calls


def seed_playbooks(network: Network) -> None:
    # Guard on the consulates only this seeder adds: the support demo, run first, already
    # put congregations and legal services (sheet kinds too) on the network.
    if Organization.objects.filter(network=network, kind=Organization.Kind.CONSULATE).exists():
        return
    churches = Organization.objects.filter(network=network, kind=Organization.Kind.CONGREGATION)
    for row in json.loads((DATA / "demo_contacts.json").read_text(encoding="utf-8")):
        church = churches.order_by("pk").first() if row["kind"] == "congregation" else None
        if church is None:
            Organization.objects.create(network=network, **row)
            continue
        for field, value in row.items():  # the clergy line: one of the network's own churches
            if field not in ("kind", "name"):
                setattr(church, field, value)
        church.save()
    raid = (
        Incident.objects.filter(network=network, confirmed_at__isnull=False).order_by("pk").first()
    )
    if raid is None:
        return
    steps = PlaybookStep.objects.filter(playbook=playbook_start_for(incident=raid))
    for key in ("activate", "squad"):
        step_done(step=steps.get(key=key), via=PlaybookStep.Via.WEB)
    consulates = steps.get(key="consulates")
    calls = step_calls(consulates, "es")
    if calls:
        call_record(
            step=consulates,
            organization=calls[0].organization,
            outcome="Visita consular mañana 9:00 / consular visit tomorrow 9:00",
            actor=None,
        )
