"""Rotas (gaps, a turn taken by text, reminders once in each person's language), needs
on the boards seen only as their words, and family plans sealed with links that work
only while opened."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from amparo.accounts.models import AuditEvent
from amparo.cases.tests.conftest import member, open_case
from amparo.channels.models import Delivery
from amparo.channels.services import inbound_receive
from amparo.conftest import client_for
from amparo.core.demo import seed_demo
from amparo.people.models import Committee, CommitteeMember, Organization, Person
from amparo.support import services
from amparo.support.models import FamilyPlan, Need, RotaSlot, Sanctuary, SlotKind

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


def _last_to(number):
    return next((d for d in Delivery.objects.order_by("-id") if d.to_address == number), None)


def _sanctuary(network, coordinator, contact=None):
    church = Organization.objects.create(
        network=network, kind="congregation", name="Iglesia San José"
    )
    case = open_case(network, coordinator)
    committee = Committee.objects.get(network=network, slug="solidarity")
    return Sanctuary.objects.create(
        network=network, case=case, congregation=church, contact=contact, committee=committee
    )


@pytest.mark.django_db
def test_rota_gap_shown_to_the_contact_and_on_the_case(network_a, coordinator_a):
    contact = member(network_a, [], phone="+14135550401")
    with time_machine.travel(NOW, tick=False):
        sanctuary = _sanctuary(network_a, coordinator_a, contact)
        gap = RotaSlot.objects.create(
            sanctuary=sanctuary, kind=SlotKind.MEAL, starts_at=NOW + timedelta(days=1)
        )
        RotaSlot.objects.create(  # beyond the coming days: not a gap yet
            sanctuary=sanctuary, kind=SlotKind.VISIT, starts_at=NOW + timedelta(days=6)
        )
        assert services.rota_gaps(sanctuary) == [gap]
        page = client_for(contact, "en").get(reverse("support:rota", kwargs={"pk": sanctuary.pk}))
        assert page.status_code == 200
        assert "1 turn unfilled in the next 3 days" in page.content.decode()
        case_page = client_for(coordinator_a, "en").get(
            reverse("cases:case", kwargs={"pk": sanctuary.case_id})
        )
        assert "1 turn unfilled in the coming days" in case_page.content.decode()
        # another member is neither the contact nor a volunteer: 404
        other = member(network_a, [])
        assert (
            client_for(other).get(reverse("support:rota", args=[sanctuary.pk])).status_code == 404
        )


@pytest.mark.django_db
def test_a_volunteer_takes_a_turn_by_text_and_is_reminded_once(network_a, coordinator_a):
    with time_machine.travel(NOW, tick=False):
        sanctuary = _sanctuary(network_a, coordinator_a)
        volunteer = member(network_a, ["committee"], language="es", phone="+14135550402")
        person = Person.objects.get(user=volunteer)
        CommitteeMember.objects.create(committee=sanctuary.committee, person=person)
        slot = RotaSlot.objects.create(
            sanctuary=sanctuary, kind=SlotKind.RIDE, starts_at=NOW + timedelta(days=2)
        )
        assert services.rota_ask(sanctuary=sanctuary) == 1
        ask = Delivery.objects.get(purpose="rota-ask")
        assert f"{slot.pk}:" in ask.body and "APOYO" in ask.body
        # plain SMS to the whole committee never names where a person is in sanctuary:
        # the rota page (login required) shows the place to those allowed
        rota_url = reverse("support:rota", args=[sanctuary.pk])
        assert "Iglesia" not in ask.body and rota_url in ask.body
        inbound_receive(
            network=network_a,
            channel="sandbox",
            from_address="+14135550402",
            body=f"Apoyo {slot.pk}",
        )
        slot.refresh_from_db()
        assert slot.person == person
        reply = _last_to("+14135550402")
        assert reply is not None and "Gracias" in reply.body and "Iglesia" not in reply.body
        assert rota_url in reply.body
        # a second volunteer is too late
        member(network_a, ["committee"], language="en", phone="+14135550403")
        inbound_receive(
            network=network_a,
            channel="sandbox",
            from_address="+14135550403",
            body=f"SLOT {slot.pk}",
        )
        late = _last_to("+14135550403")
        assert late is not None and "already taken" in late.body
    with time_machine.travel(NOW + timedelta(hours=25), tick=False):
        assert services.rota_reminder_sweep() == 1
        assert services.rota_reminder_sweep() == 0
    reminder = Delivery.objects.get(purpose="rota-reminder")
    assert reminder.to_address == "+14135550402" and "Recordatorio" in reminder.body
    assert "Iglesia" not in reminder.body and rota_url in reminder.body


@pytest.mark.django_db
def test_a_need_reaches_a_volunteer_only_as_its_words(network_a, coordinator_a, volunteer_a):
    case = open_case(network_a, coordinator_a, given_names="Rosa Elvira", family_names="Quispe")
    need = services.need_add(
        case=case,
        kind="rides",
        words="Ride to the clinic Tuesday 9:00",
        due=None,
        actor=coordinator_a,
    )
    assert need.task.committee.slug == "solidarity"
    CommitteeMember.objects.create(
        committee=need.task.committee,
        person=Person.objects.create(network=network_a, user=volunteer_a, name="Roberto"),
    )
    client = client_for(volunteer_a, "en")
    board = client.get(reverse("people:committee", kwargs={"pk": need.task.committee_id}))
    text = board.content.decode()
    assert "Ride to the clinic Tuesday 9:00" in text
    assert "Quispe" not in text and "Rosa Elvira" not in text and f"/cases/{case.pk}/" not in text
    assert client.get(reverse("cases:case", kwargs={"pk": case.pk})).status_code == 404
    case_page = client_for(coordinator_a, "en").get(reverse("cases:case", kwargs={"pk": case.pk}))
    assert "Ride to the clinic" in case_page.content.decode()


@pytest.mark.django_db
def test_family_plan_sealed_and_its_link_works_only_while_open(network_a, coordinator_a):
    owner = member(network_a, [], language="es")
    plan = services.plan_save(
        network=network_a,
        owner=owner,
        language="es",
        body={
            "children": "Sofía: tía Marta",
            "documents": "Caja azul",
            "contacts": "",
            "lawyer": "",
        },
        viewers="Marta Ríos, +14135550409",
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM support_familyplan WHERE id = %s", [plan.pk])
        raw = cursor.fetchone()[0]
        cursor.execute("SELECT name, phone, token FROM support_planviewer")
        viewer_raw = cursor.fetchone()
    raw_text = bytes(raw).decode("latin-1") if isinstance(raw, bytes | memoryview) else str(raw)
    assert "Sofía" not in raw_text and "Caja azul" not in raw_text and "Marta" not in raw_text
    assert "Marta" not in str(viewer_raw) and "4135550409" not in str(viewer_raw)
    viewer = plan.viewers.get()
    url = reverse("plan_shared", kwargs={"token": viewer.token})
    anonymous = Client()
    assert anonymous.get(url).status_code == 404  # not opened yet
    case = open_case(network_a, coordinator_a)
    opened_at = datetime.now(UTC)
    with time_machine.travel(opened_at, tick=False):  # the case team opens it
        page = client_for(coordinator_a, "en").post(
            reverse("support:case_plan_open", kwargs={"pk": case.pk}), {"plan-plan": plan.pk}
        )
        assert page.status_code == 302
    plan.refresh_from_db()
    assert plan.opened_by == coordinator_a and plan.case == case
    text = Delivery.objects.get(purpose="family-plan")
    assert text.to_address == "+14135550409" and viewer.token in text.body
    assert "Sofía" not in text.body
    with time_machine.travel(opened_at + timedelta(days=1), tick=False):
        shown = anonymous.get(url)
        assert shown.status_code == 200 and "Caja azul" in shown.content.decode()
        assert "no-store" in shown["Cache-Control"]  # no one signed in: no cache may keep it
        assert anonymous.get(url[:-3] + "xx/").status_code == 404
    with time_machine.travel(opened_at + timedelta(days=services.PLAN_LINK_DAYS, minutes=1)):
        assert anonymous.get(url).status_code == 404  # expired
    notes = list(
        AuditEvent.objects.filter(target_type="support.planviewer").values_list("note", flat=True)
    )
    assert notes == ["plan link refused", "plan link shown", "plan link refused"]


@pytest.mark.django_db
def test_the_member_prints_the_plan_in_their_language(network_a):
    owner = member(network_a, [], language="es")
    client = client_for(owner, "es")
    page = client.post(
        reverse("support:plan"),
        {
            "language": "es",
            "children": "Nguyễn Thị Lan: abuela Rosa, 413 555 0420",
            "documents": "En la caja azul del armario",
            "contacts": "Rosa",
            "lawyer": "",
            "viewers": "Rosa Núñez, 413 555 0420",
        },
    )
    assert page.status_code == 302
    pdf = client.get(reverse("support:plan_pdf"))
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Plan de preparación familiar" in text and "Nguyễn Thị Lan" in text
    assert FamilyPlan.objects.get(owner=owner).viewers.get().phone == "+14135550420"


@pytest.mark.django_db
def test_demo_two_rotas_needs_and_plans():
    seed_demo()
    assert Sanctuary.objects.filter(network__slug="valle").count() == 2
    assert RotaSlot.objects.filter(person__isnull=True).exists()
    assert RotaSlot.objects.filter(person__isnull=False).exists()
    assert FamilyPlan.objects.count() == 3
    contact = Sanctuary.objects.exclude(contact=None).get().contact
    assert contact is not None
    page = client_for(contact, "en").get(reverse("support:rotas"))
    assert page.status_code == 200 and "gaps in the coming days" in page.content.decode()
    assert Need.objects.filter(task__committee__slug="solidarity").count() >= 2
    seed_demo()  # idempotent
    assert FamilyPlan.objects.count() == 3


@pytest.mark.django_db
def test_a_stranger_cannot_take_a_turn_by_text_nor_learn_the_sanctuary(network_a, coordinator_a):
    """Anyone on the people list (a public sign-up) texting APOYO <n> for small n would
    otherwise learn, turn by turn, where a person is in sanctuary: only the rota's
    committee members take turns by text."""
    with time_machine.travel(NOW, tick=False):
        sanctuary = _sanctuary(network_a, coordinator_a)
        slot = RotaSlot.objects.create(
            sanctuary=sanctuary, kind=SlotKind.MEAL, starts_at=NOW + timedelta(days=1)
        )
        member(network_a, [], phone="+14135550431")  # on the list, on no committee
        inbound_receive(
            network=network_a,
            channel="sandbox",
            from_address="+14135550431",
            body=f"APOYO {slot.pk}",
        )
        slot.refresh_from_db()
        assert slot.person is None
        reply = _last_to("+14135550431")
        assert reply is not None and "Iglesia" not in reply.body


@pytest.mark.django_db
def test_only_coordinators_see_and_open_members_family_plans(network_a, coordinator_a):
    """The case page listed every member with a family plan (who has one says whose
    family fears detention) to anyone on any case's team, who could also open it."""
    owner = member(network_a, [], language="es")
    owner.display_name = "Dolores Plan-Owner"
    owner.save()
    plan = services.plan_save(
        network=network_a, owner=owner, language="es", body={"children": "x"}, viewers="Ana, "
    )
    volunteer = member(network_a, [])
    case = open_case(network_a, coordinator_a, team=[(volunteer, "accompanier")])
    client = client_for(volunteer, "en")
    page = client.get(reverse("cases:case", kwargs={"pk": case.pk}))
    assert page.status_code == 200 and "Plan-Owner" not in page.content.decode()
    client.post(reverse("support:case_plan_open", kwargs={"pk": case.pk}), {"plan-plan": plan.pk})
    plan.refresh_from_db()
    assert plan.expires_at is None
    page = client_for(coordinator_a, "en").get(reverse("cases:case", kwargs={"pk": case.pk}))
    assert "Plan-Owner" in page.content.decode()
