"""The worker committee's record (decisions with a text per language, meetings counted
as participation), demands (status as data) and the enforcement of commitments: a check
falls due, is left unanswered or found broken, and is raised to the coordinators."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from amparo.channels.models import Delivery
from amparo.conftest import make_user
from amparo.people import record
from amparo.people.models import CommitmentCheck, Committee, Demand, Organization
from amparo.people.participation import activity_create, attendance_check_in, participation_count
from amparo.tests.factories import PersonFactory


def _worker_committee(network):
    return Committee.objects.get(network=network, kind=Committee.Kind.WORKER)


@pytest.mark.django_db
def test_a_decision_keeps_a_text_per_language_and_a_missing_one_shows_as_missing(network_a):
    committee = _worker_committee(network_a)
    priority = record.priority_create(
        network=network_a, name={"es": "Abuso laboral", "en": "Workplace abuse"}
    )
    meeting = activity_create(
        network=network_a, title="Comité obrero", starts_at=timezone.now(), committee=committee
    )
    decision = record.decision_record(
        committee=committee,
        texts={"es": "Exigir al alcalde aviso de redadas", "en": "  ", "xx": "ignored"},
        meeting=meeting,
        priorities=[priority],
    )
    assert decision.text == {"es": "Exigir al alcalde aviso de redadas"}
    texts = record.decision_texts(decision, ["en", "es"])
    assert [(t.language, t.text) for t in texts] == [
        ("en", ""),
        ("es", "Exigir al alcalde aviso de redadas"),
    ]
    assert list(record.current_decisions(network_a)) == [decision]
    with pytest.raises(ValidationError):
        record.decision_record(committee=committee, texts={"es": " ", "en": ""})

    # the committee's meeting counts as participation
    member = PersonFactory.create(network=network_a)
    since = timezone.now() - timedelta(hours=1)
    attendance_check_in(activity=meeting, person=member)
    assert participation_count(member, since) == 1


@pytest.mark.django_db
def test_a_demand_moves_only_along_its_statuses(network_a):
    demand = record.demand_create(
        network=network_a, target_name="Alcaldía", what="Avisar a la comunidad de redadas"
    )
    assert demand.status == Demand.Status.DRAFTED
    with pytest.raises(ValidationError):
        record.demand_move(demand=demand, status="won")  # not delivered yet
    with pytest.raises(ValidationError):
        record.commitment_add(demand=demand, promise="Avisar")
    demand = record.demand_move(demand=demand, status="delivered")
    assert demand.asked_on == timezone.localdate()
    demand = record.demand_move(demand=demand, status="won")
    with pytest.raises(ValidationError):
        record.demand_move(demand=demand, status="drafted")
    assert Demand.objects.get().status == "won"


@pytest.mark.django_db
def test_a_commitment_check_falls_due_and_escalates_when_left_unanswered(network_a):
    coordinator = make_user(network_a, "coord@a.example", ["coordinator"])
    PersonFactory.create(network=network_a, user=coordinator, language="es")
    office = Organization.objects.create(
        network=network_a, kind="office", name="Alcaldía de Northampton", phone="+14135550100"
    )
    demand = record.demand_create(
        network=network_a, target=office, target_name="", what="Avisar de redadas"
    )
    record.demand_move(demand=demand, status="delivered")
    demand = record.demand_move(demand=demand, status="won")
    start = timezone.now()
    commitment = record.commitment_add(
        demand=demand, promise="Avisar a la comunidad de cada redada", check_every_days=30
    )
    assert record.commitment_checks_due() == 0  # nothing due yet
    with time_machine.travel(start + timedelta(days=30), tick=False):
        assert record.commitment_checks_due() == 1
        check = CommitmentCheck.objects.get()
        assert check.outcome == "pending" and check.escalated_at is None
        assert record.commitment_checks_due() == 0  # opened once
        commitment.refresh_from_db()
        assert commitment.next_check_on == timezone.localdate() + timedelta(days=30)
    assert not Delivery.objects.filter(purpose="commitment-raised").exists()
    with time_machine.travel(start + timedelta(days=30 + record.CHECK_GRACE_DAYS), tick=False):
        assert record.commitment_checks_due() == 1
        assert record.commitment_checks_due() == 0  # raised once
    raised = Delivery.objects.get(purpose="commitment-raised")
    assert raised.language == "es" and "atrasada" in raised.body
    assert "Alcaldía de Northampton" in raised.body
    alerts = record.enforcement_alerts(network_a)
    assert [a.pk for a in alerts] == [check.pk]
    target = alerts[0].commitment.demand.target
    assert target is not None and target.phone == "+14135550100"


@pytest.mark.django_db
def test_a_broken_commitment_is_raised_at_once(network_a):
    coordinator = make_user(network_a, "coord@a.example", ["coordinator"])
    PersonFactory.create(network=network_a, user=coordinator, language="en")
    demand = record.demand_create(network=network_a, target_name="Mayor", what="Warn of raids")
    record.demand_move(demand=demand, status="delivered")
    demand = record.demand_move(demand=demand, status="partly")
    commitment = record.commitment_add(demand=demand, promise="Warn the community")
    check = record.check_open(commitment)
    record.check_answer(check=check, kept=False, note="No warning on 3 March")
    raised = Delivery.objects.get(purpose="commitment-raised")
    assert raised.language == "en" and "broken" in raised.body
    with pytest.raises(ValidationError):
        record.check_answer(check=check, kept=True)
    kept = record.check_open(commitment, timezone.localdate() + timedelta(days=1))
    record.check_answer(check=kept, kept=True)
    assert [a.pk for a in record.enforcement_alerts(network_a)] == [check.pk]
    assert Delivery.objects.filter(purpose="commitment-raised").count() == 1


@pytest.mark.django_db
def test_the_pages_record_a_decision_and_a_broken_commitment_reaches_the_dashboard(
    network_a, coordinator_a
):
    from django.urls import reverse

    from amparo.conftest import client_for

    client = client_for(coordinator_a, "es")
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert reverse("people:committee_record") in dashboard
    url = reverse("people:committee_record")
    # nothing written: a clear error, nothing saved
    bad = client.post(url, {"form": "decision", "d-decided_on": "2026-03-01", "d-text_es": " "})
    assert bad.status_code == 400 and "al menos un idioma" in bad.content.decode()
    client.post(
        url,
        {"form": "decision", "d-decided_on": "2026-03-01", "d-text_es": "Exigir aviso de redadas"},
    )
    page = client.get(url).content.decode()
    assert "Exigir aviso de redadas" in page and "No está escrita en este idioma." in page
    member = make_user(network_a, "m@a.example", [], language="en")
    PersonFactory.create(network=network_a, user=member, language="en")
    seen = client_for(member, "en").get(reverse("dashboard")).content.decode()
    assert "Not written in your language yet." in seen and "Exigir aviso de redadas" in seen

    client.post(reverse("people:demands"), {"target_name": "Alcaldía", "what": "Avisar de redadas"})
    demand = Demand.objects.get()
    move = reverse("people:demand_move", kwargs={"pk": demand.pk})
    client.post(move, {"status": "delivered"})
    client.post(move, {"status": "won"})
    detail = reverse("people:demand", kwargs={"pk": demand.pk})
    client.post(detail, {"promise": "Avisar a la comunidad", "check_every_days": "30"})
    client.post(
        reverse("people:demand_check_now", kwargs={"pk": demand.pk}),
        {"commitment": demand.commitments.get().pk},
    )
    check = CommitmentCheck.objects.get()
    client.post(
        reverse("people:check_answer", kwargs={"pk": check.pk}),
        {"kept": "0", "note": "No avisaron el 3 de marzo"},
    )
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert "Compromisos por hacer cumplir" in dashboard and "No avisaron el 3 de marzo" in dashboard


@pytest.mark.django_db
def test_the_sign_up_page_shows_only_the_priorities_the_committee_chose(network_a, coordinator_a):
    from django.test import Client
    from django.urls import reverse

    from amparo.conftest import client_for

    client = client_for(coordinator_a, "es")
    url = reverse("people:committee_record")
    client.post(url, {"form": "priority", "p-text_es": "Redadas", "p-show_on_signup": "on"})
    client.post(url, {"form": "priority", "p-text_es": "Asunto interno"})
    signup = Client()
    signup.cookies["amparo_language"] = "es"
    page = signup.get(reverse("signup", kwargs={"network_slug": network_a.slug})).content
    assert b"Redadas" in page and b"Asunto interno" not in page


@pytest.mark.django_db
def test_the_record_is_edited_from_its_pages_each_edit_logged(network_a, coordinator_a):
    """A meeting, a decision, a demand and a commitment are edited by clicks from the
    record page; an emptied language shows as not written; each edit is in the history;
    a refused edit keeps what was typed."""
    import re

    from django.urls import reverse

    from amparo.accounts.models import AuditEvent
    from amparo.conftest import client_for

    committee = _worker_committee(network_a)
    meeting = activity_create(
        network=network_a, title="Comité", starts_at=timezone.now(), committee=committee
    )
    decision = record.decision_record(
        committee=committee, texts={"es": "Exigir aviso", "en": "Demand a warning"}
    )
    client = client_for(coordinator_a, "es")
    page = client.get(reverse("people:committee_record")).content.decode()
    links = re.findall(r'href="([^"#]+)', page)
    meeting_url = reverse("people:meeting_edit", kwargs={"pk": meeting.pk})
    decision_url = reverse("people:decision_edit", kwargs={"pk": decision.pk})
    assert meeting_url in links and decision_url in links

    form = client.get(meeting_url).content.decode()
    assert 'value="Comité"' in form
    starts = re.findall(r'name="starts_at"[^>]*value="([^"]+)"', form)[0]
    client.post(meeting_url, {"kind": "meeting", "title": "Comité obrero", "starts_at": starts})
    meeting.refresh_from_db()
    assert meeting.title == "Comité obrero"

    refused = client.post(decision_url, {"decided_on": "2026-13-40", "text_en": "Typed here"})
    assert refused.status_code == 400 and "Typed here" in refused.content.decode()
    client.post(decision_url, {"decided_on": "2026-03-02", "text_es": "Exigir aviso de redadas"})
    decision.refresh_from_db()
    assert decision.text == {"es": "Exigir aviso de redadas"}
    page = client.get(reverse("people:committee_record")).content.decode()
    assert "Exigir aviso de redadas" in page and "No está escrita en este idioma." in page
    event = AuditEvent.objects.filter(target_type="people.decision").latest("id")
    assert event.action == "update" and event.fields == ["decided_on", "text"]
    history = client.get(decision_url).content.decode().split('id="history"')[1]
    assert history.count("<li>") == 2 and "Alicia Álvarez" in history

    demand = record.demand_create(network=network_a, target_name="Alcaldía", what="Avisar")
    demand_url = reverse("people:demand", kwargs={"pk": demand.pk})
    edit_url = reverse("people:demand_edit", kwargs={"pk": demand.pk})
    assert edit_url in client.get(demand_url).content.decode()
    client.post(edit_url, {"target_name": "Oficina del alcalde", "what": "Avisar de redadas"})
    demand.refresh_from_db()
    assert (demand.target_name, demand.what) == ("Oficina del alcalde", "Avisar de redadas")
    record.demand_move(demand=demand, status="delivered")
    demand = record.demand_move(demand=demand, status="won")
    commitment = record.commitment_add(demand=demand, promise="Avisar")
    commitment_url = reverse("people:commitment_edit", kwargs={"pk": commitment.pk})
    assert commitment_url in client.get(demand_url).content.decode()
    client.post(commitment_url, {"promise": "Avisar en 24 horas", "check_every_days": "7"})
    commitment.refresh_from_db()
    assert (commitment.promise, commitment.check_every_days) == ("Avisar en 24 horas", 7)
    assert not commitment.is_active  # unticked: no longer checked
    fields = AuditEvent.objects.filter(target_type="people.commitment", action="update").get()
    assert sorted(fields.fields) == ["check_every_days", "is_active", "promise"]
