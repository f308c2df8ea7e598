"""Playbooks: a confirmed raid starts one with due times in the network's zone; owners
are texted in their language; an overdue step reaches the coordinators once; a text
with the step's code marks it done; a template edited mid-raid leaves the running
playbook alone; codes never collide with another keyword; the contact sheet matches
consulates to the countries of birth; the vigil waits for its second approver."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings

from amparo.alerts.models import Alert, Facility
from amparo.cases.tests.conftest import member, open_case
from amparo.channels.models import Delivery
from amparo.channels.registry import sms_channel
from amparo.channels.services import inbound_receive
from amparo.documents.merge import network_values
from amparo.documents.services import current, document_generate
from amparo.lib.crypto.blind import blind_index, fold
from amparo.people.models import Commitment, Demand, Organization
from amparo.people.services import place_get_or_create
from amparo.playbooks import services, sheet
from amparo.playbooks.models import Phase, Playbook, PlaybookStep
from amparo.reports.models import Incident, IncidentStatus
from amparo.reports.services import incident_transition
from amparo.tests.factories import PersonFactory

LA = ZoneInfo("America/Los_Angeles")
# 10:00 in Los Angeles (17:00 UTC); the vigil is the first evening there, 19:00 PDT.
CONFIRMED = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)


def _raid(network, place=None) -> Incident:
    verifier = PersonFactory.create(network=network, roles=["verifier"], phone="")
    incident = Incident.objects.create(
        network=network,
        status=IncidentStatus.VERIFYING,
        place=place,
        point={"lat": 42.2, "lng": -72.6},
    )
    return incident_transition(incident=incident, to=IncidentStatus.CONFIRMED, person=verifier)


@pytest.fixture
def team(network_a):
    network_a.time_zone = "America/Los_Angeles"
    network_a.save(update_fields=["time_zone"])
    return {
        "coordinator": member(network_a, ["coordinator"], language="es", phone="+14135550401"),
        "dispatcher": member(network_a, ["dispatcher"], language="en", phone="+14135550402"),
        "legal": member(network_a, ["case-manager"], language="es", phone="+14135550403"),
    }


def _to(number: str, purpose: str = "playbook-step") -> list[str]:
    return [
        d.body
        for d in Delivery.objects.filter(to_index=blind_index("address", number), purpose=purpose)
    ]


def test_a_confirmed_raid_starts_the_playbook_in_the_networks_zone(network_a, team):
    with time_machine.travel(CONFIRMED, tick=False):
        incident = _raid(network_a)
    playbook = Playbook.objects.get(incident=incident)
    steps = {s.key: s for s in playbook.steps.all()}
    assert list(steps) == [s["key"] for s in services.shipped()["after"]]
    assert steps["activate"].due_at == CONFIRMED + timedelta(minutes=15)
    vigil = steps["vigil"].due_at.astimezone(LA)  # type: ignore[union-attr]
    assert (vigil.date(), vigil.hour) == (CONFIRMED.astimezone(LA).date(), 19)
    # owners texted in their language, first steps only (see_detained waits for legal)
    dispatcher = _to("+14135550402")
    assert any(
        "Activate the rapid-response team" in b and steps["activate"].code in b for b in dispatcher
    )
    legal = _to("+14135550403")
    assert any("abogados" in b for b in legal)
    assert not any(steps["see_detained"].code in b for b in legal)
    assert steps["see_detained"].notified_at is None
    assert services.playbook_start_for(incident=incident) == playbook  # once


def test_an_overdue_step_escalates_to_the_coordinator_once(network_a, team):
    with time_machine.travel(CONFIRMED, tick=False):
        incident = _raid(network_a)
    step = PlaybookStep.objects.get(playbook__incident=incident, key="activate")
    services.step_done(
        step=PlaybookStep.objects.get(playbook__incident=incident, key="squad"), via="web"
    )
    with time_machine.travel(CONFIRMED + timedelta(minutes=14), tick=False):
        assert services.steps_overdue_sweep() == 0
    with time_machine.travel(CONFIRMED + timedelta(minutes=31), tick=False):
        assert services.steps_overdue_sweep() == 1  # activate; squad is done
        assert services.steps_overdue_sweep() == 0
    texts = _to("+14135550401", "playbook-overdue")
    assert len(texts) == 1 and step.title["es"] in texts[0]  # the coordinator reads Spanish
    step.refresh_from_db()
    assert step.escalated_at is not None


def test_a_step_done_by_replying_with_its_code(network_a, team):
    incident = _raid(network_a)
    legal = PlaybookStep.objects.get(playbook__incident=incident, key="legal")
    message = inbound_receive(
        network=network_a,
        channel=sms_channel(),
        from_address="+14135550403",
        body=f"Listo {legal.code.lower()}",
    )
    assert message.handled_by == services.HANDLER
    legal.refresh_from_db()
    assert legal.done_via == "text" and legal.done_person is not None
    # the step that waited on it now reaches its owners
    see = PlaybookStep.objects.get(playbook__incident=incident, key="see_detained")
    assert see.notified_at is not None
    assert any(see.code in b for b in _to("+14135550403"))
    # someone who does not hold the owner's role cannot
    squad = PlaybookStep.objects.get(playbook__incident=incident, key="squad")
    inbound_receive(
        network=network_a, channel=sms_channel(), from_address="+14135550403", body=squad.code
    )
    squad.refresh_from_db()
    assert squad.done_at is None


def test_a_template_edited_mid_raid_leaves_the_running_playbook_alone(network_a, team):
    incident = _raid(network_a)
    steps = services.template_current(network_a, Phase.AFTER).steps
    steps[0] = {**steps[0], "title": {"en": "New first step", "es": "Nuevo primer paso"}}
    template = services.template_save(network=network_a, phase=Phase.AFTER, steps=steps[:3])
    assert template.version == 2
    running = Playbook.objects.get(incident=incident)
    assert running.template.version == 1
    assert running.steps.count() == len(services.shipped()["after"])
    assert running.steps.all()[0].title["en"] == "Activate the rapid-response team"
    later = Playbook.objects.get(incident=_raid(network_a))
    assert later.steps.count() == 3 and later.steps.all()[0].title["en"] == "New first step"


def test_codes_never_collide_with_other_keywords(network_a, team):
    from amparo.alerts import answers
    from amparo.hotline import keywords
    from amparo.hotline.shifts import swaps
    from amparo.people import events, optout, signup
    from amparo.reports import sms, verification

    words = (
        optout.STOP_WORDS
        | optout.START_WORDS
        | answers.GOING_WORDS
        | answers.NOT_GOING_WORDS
        | answers.ARRIVED_WORDS
        | swaps.TAKE_WORDS
        | set(verification.ANSWER_WORDS)
        | events.YES_WORDS
        | events.NO_WORDS
        | events.NEXT_WORDS
        | signup.YES_WORDS
        | set(sms.KEYWORDS)
        | set(keywords.HELP_WORDS)
    )
    codes = {services._new_code(network_a) for _ in range(200)}
    for code in codes:
        assert fold(code) not in words and services.CODE_RE.match(fold(code))
        assert verification.parse_answer(code) is None
    for word in words:
        assert not services.CODE_RE.match(word)
    # the table: ours comes before the events' YES/NO and the catch-alls after it
    paths = [p for p, _ in settings.INBOUND_HANDLERS]
    ours = paths.index("amparo.playbooks.services.step_inbound")
    assert ours < paths.index("amparo.people.events.events_inbound")
    assert ours < paths.index("amparo.hotline.keywords.hotline_inbound")
    # a code from a person with an open event invitation and a live step: ours claims it
    incident = _raid(network_a)
    step = PlaybookStep.objects.get(playbook__incident=incident, key="activate")
    message = inbound_receive(
        network=network_a, channel=sms_channel(), from_address="+14135550402", body=step.code
    )
    assert message.handled_by == services.HANDLER
    # a YES is never ours
    yes = inbound_receive(
        network=network_a, channel=sms_channel(), from_address="+14135550402", body="YES"
    )
    assert yes.handled_by != services.HANDLER


def test_a_town_promised_a_warning_adds_the_check_step(network_a, team):
    town = place_get_or_create(network=network_a, name="Holyoke", latitude=42.2, longitude=-72.6)
    mayor = Organization.objects.create(network=network_a, kind="official", name="Alcaldía")
    demand = Demand.objects.create(
        network=network_a, target=mayor, target_name="Alcaldía", what="Avisar", status="won"
    )
    Commitment.objects.create(
        demand=demand,
        promise="Warn the community of raids",
        next_check_on=CONFIRMED.date(),
        warns_town=town,
    )
    keys = list(
        Playbook.objects.get(incident=_raid(network_a, place=town)).steps.values_list(
            "key", flat=True
        )
    )
    assert keys[-1] == "warned"
    other = place_get_or_create(network=network_a, name="Chicopee", latitude=42.1, longitude=-72.6)
    keys = list(
        Playbook.objects.get(incident=_raid(network_a, place=other)).steps.values_list(
            "key", flat=True
        )
    )
    assert "warned" not in keys


def test_consulates_match_the_countries_of_birth_with_a_script(network_a, team):
    incident = _raid(network_a)
    for country in ("Guatemala", "guatemala", "Honduras"):
        open_case(network_a, team["coordinator"], incident=incident, country_of_birth=country)
    for country in ("Guatemala", "Honduras", "México"):
        Organization.objects.create(
            network=network_a,
            kind="consulate",
            name=f"Consulado de {country}",
            country=country,
            desk_phone="+16175550100",
        )
    step = PlaybookStep.objects.get(playbook__incident=incident, key="consulates")
    calls = sheet.step_calls(step, "es")
    assert [(c.organization.country, c.count) for c in calls] == [("Guatemala", 2), ("Honduras", 1)]
    assert "protección" in calls[0].script and "Guatemala" in calls[0].script
    assert "protection desk" in sheet.step_calls(step, "en")[0].script
    log = sheet.call_record(
        step=step, organization=calls[0].organization, outcome="Visita mañana", actor=team["legal"]
    )
    assert log.outcome == "Visita mañana"


def test_the_vigil_is_an_event_and_a_member_alert_awaiting_its_second_approver(network_a, team):
    incident = _raid(network_a)
    facility = Facility.objects.create(
        network=network_a,
        name="Centro de detención",
        address="1 Main St",
        latitude=42.2,
        longitude=-72.6,
    )
    step = PlaybookStep.objects.get(playbook__incident=incident, key="vigil")
    activity = sheet.event_from_step(
        step=step, starts_at=step.due_at or CONFIRMED, facility=facility, actor=team["coordinator"]
    )
    step.refresh_from_db()
    assert activity.place.startswith("Centro de detención") and step.done_at is not None
    alert = Alert.objects.get(pk=step.alert_id)
    assert alert.status == Alert.Status.AWAITING_APPROVAL and "19:00" in alert.templates["es"]
    assert any("YES" in b for b in _to("+14135550402", "event-invite"))


def test_readiness_links_what_is_missing(network_a, team):
    score, items = sheet.readiness(network_a, "es")
    missing = {i.key: i.url for i in items if not i.done}
    assert 0 <= score < 100
    assert missing["contacts"] == "/playbooks/contacts/" and "palm_cards" in missing
    for kind in sheet.SHEET_KINDS:
        Organization.objects.create(network=network_a, kind=kind, name=kind)
    before = Playbook.objects.get(network=network_a, phase=Phase.BEFORE)
    services.step_done(step=before.steps.get(key="family_plans"), via="web")
    score2, items = sheet.readiness(network_a, "es")
    assert score2 > score and {i.key for i in items if i.done} >= {"contacts", "family_plans"}
    assert missing["palm_cards"] == "/documents/"
    card = current(network_a, slug="palm-card", language="es")[0]
    document_generate(
        template=card, values=network_values(network_a), file_format="pdf", actor=None
    )
    _score, items = sheet.readiness(network_a, "es")
    assert {i.key for i in items if i.done} >= {"palm_cards"}


def test_pages_one_tap_done_dashboard_and_template_edit(network_a, team):
    from amparo.conftest import client_for

    with time_machine.travel(CONFIRMED, tick=False):
        incident = _raid(network_a)
    client = client_for(team["coordinator"])
    step = PlaybookStep.objects.get(playbook__incident=incident, key="squad")
    with time_machine.travel(CONFIRMED + timedelta(hours=1), tick=False):
        page = client.get("/").content.decode()
        assert "Activar el equipo de respuesta rápida" in page  # overdue on the dashboard
        assert "0 de 15 pasos" in client.get(f"/incidents/{incident.pk}/").content.decode()
        assert client.post(f"/playbooks/steps/{step.pk}/", {"do": "done"}).status_code == 302
    step.refresh_from_db()
    assert step.done_via == "web" and step.done_by == team["coordinator"]
    contacts = client.post("/playbooks/contacts/", {"kind": "media", "name": "Radio Valle"})
    assert contacts.status_code == 302 and Organization.objects.filter(kind="media").exists()
    bad = client.post("/playbooks/templates/after/", {"steps": '[{"key": "x"}]'})
    assert bad.status_code == 400
    # a member without the owner's capability cannot tap it done
    volunteer = member(network_a, ["hotline"], phone="+14135550409")
    other = PlaybookStep.objects.get(playbook__incident=incident, key="activate")
    assert (
        client_for(volunteer).post(f"/playbooks/steps/{other.pk}/", {"do": "done"}).status_code
        == 403
    )


def test_the_event_form_reads_a_skipped_time_as_every_other_form(network_a, team):
    """The step's event form used Django's field and refused 02:30 on the night the
    clocks skip it; the shared field reads it as calendars do (03:30)."""
    from amparo.conftest import client_for

    EVE = datetime(2026, 3, 7, 17, 0, tzinfo=UTC)  # the day before the clocks skip 02:00

    with time_machine.travel(EVE, tick=False):
        incident = _raid(network_a)
    step = PlaybookStep.objects.get(playbook__incident=incident, key="meeting")
    client = client_for(team["coordinator"])
    form = {"do": "event", "starts_at": "2026-03-08T02:30", "place": "Plaza"}
    with time_machine.travel(EVE + timedelta(hours=1), tick=False):
        assert client.post(f"/playbooks/steps/{step.pk}/", form).status_code == 302
    step.refresh_from_db()
    assert step.activity is not None
    starts = step.activity.starts_at.astimezone(network_a.zone())
    assert (starts.day, starts.hour, starts.minute) == (8, 3, 30)  # 02:30 does not exist
