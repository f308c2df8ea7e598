"""The phone tree over a known seed: everyone reachable exactly once, at most N calls
each, grouped by language then area, the best callers on top; the PDF read back."""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation
from pypdf import PdfReader

from amparo.accounts.models import AuditEvent
from amparo.conftest import client_for, make_user
from amparo.people.models import Activity, Attendance, ExportRequest, Person, PersonPhone
from amparo.people.phonetree import (
    phone_tree_build,
    phone_tree_open,
    phone_tree_pdf,
)
from amparo.people.reach import reach_refresh
from amparo.people.services import (
    PersonData,
    person_opt_out,
    person_upsert,
    place_get_or_create,
)
from amparo.people.tests.test_export import export_approved
from amparo.tests.factories import MemberFactory, PersonFactory

NORTHAMPTON = (42.3251, -72.6412)
HOLYOKE = (42.2043, -72.6162)

FIRST = ["Ana", "Beto", "Carmen", "Dario", "Elena", "Fausto", "Gloria", "Hugo", "Irma", "Jaime"]
LAST = ["Núñez", "Peña", "Ibáñez", "Muñoz", "Gómez", "Díaz", "Ortiz", "Reyes"]
EN_FIRST = ["Emily", "James", "Sarah", "Owen", "Leah", "Peter", "Grace", "Ruth", "Nathan"]


@pytest.fixture
def seed(network_a):
    """37 reachable people (es in two towns and without area, en, one Vietnamese name),
    and five who must not be on the tree."""
    northampton = place_get_or_create(
        network=network_a, name="Northampton", latitude=NORTHAMPTON[0], longitude=NORTHAMPTON[1]
    )
    holyoke = place_get_or_create(
        network=network_a, name="Holyoke", latitude=HOLYOKE[0], longitude=HOLYOKE[1]
    )
    names = [
        *((f"{FIRST[i % 10]} {LAST[i % 8]} Norte{i}", "es", northampton) for i in range(14)),
        *((f"{FIRST[i]} {LAST[(i + 3) % 8]} Sur{i}", "es", holyoke) for i in range(9)),
        *((f"{FIRST[i + 5]} Sinzona{i}", "es", None) for i in range(4)),
        *((f"{EN_FIRST[i]} Walker{i}", "en", northampton) for i in range(9)),
        ("Nguyễn Thị Lan", "en", None),
    ]
    reachable = [
        MemberFactory.create(
            network=network_a, name=name, phone=f"+1413555{n:04d}", language=language, place=place
        )
        for n, (name, language, place) in enumerate(names, 100)
    ]
    # not on the tree
    inactive = MemberFactory.create(network=network_a, name="Inactiva Fuera", status="inactive")
    opted = MemberFactory.create(network=network_a, name="Optada Fuera")
    person_opt_out(person=opted)
    dead = MemberFactory.create(network=network_a, name="Muerta Numero")
    PersonPhone.objects.filter(person=dead).update(dead_at=timezone.now())
    reach_refresh([dead.pk])  # as any write of a phone does
    no_phone = PersonFactory.create(network=network_a, name="Sin Telefono", phone="", status=None)
    removed = MemberFactory.create(network=network_a, name="Borrada Fuera", status="removed")
    return {
        "reachable": reachable,
        "unreachable": [inactive, opted, dead, no_phone, removed],
        "northampton": northampton,
        "holyoke": holyoke,
    }


def _ids(tree):
    return [entry.person_id for _depth, entry in tree.walk()]


@pytest.mark.django_db
@pytest.mark.parametrize("per_caller", [1, 2, 3, 5, 8, 40])
def test_everyone_reachable_exactly_once_and_at_most_n_calls(network_a, seed, per_caller):
    tree = phone_tree_build(network=network_a, per_caller=per_caller)
    ids = _ids(tree)
    assert Counter(ids) == Counter(p.pk for p in seed["reachable"])
    assert tree.count == len(seed["reachable"])
    assert len(tree.roots) <= per_caller
    assert all(len(entry.children) <= per_caller for _d, entry in tree.walk())
    assert tree.max_calls() <= per_caller
    if per_caller == 1:
        assert tree.depth() == len(seed["reachable"])  # a chain, no recursion limit trouble
    if per_caller == 3:
        assert tree.depth() >= 3  # multi-level: coordinator -> callers -> callees -> ...
    numbers = [entry.number for _d, entry in tree.walk()]
    assert len(set(numbers)) == len(numbers)


@pytest.mark.django_db
def test_grouped_by_language_then_area(network_a, seed):
    tree = phone_tree_build(network=network_a, per_caller=3)
    # the coordinator's calls are shared between the languages, Spanish (bigger) first
    assert [r.language for r in tree.roots] == ["es", "es", "en"]
    # nobody calls someone of another language while people of their own remain
    for _d, caller in tree.walk():
        for callee in caller.children:
            assert callee.language == caller.language
    # within a language, callers call their own area while it has people left
    area_of = {e.person_id: e.area for _d, e in tree.walk()}
    assert area_of[seed["reachable"][0].pk] == "Northampton"
    cross = [
        (caller.area, callee.area)
        for _d, caller in tree.walk()
        for callee in caller.children
        if callee.area != caller.area
    ]
    # one link per area nobody on the coordinator's list starts: here, people without an
    # area (Spanish, then English): each group hangs together under one head
    assert sorted(cross) == [("Holyoke", ""), ("Northampton", "")]
    assert all(root.area for root in tree.roots)  # people without an area come last


@pytest.mark.django_db
def test_callers_are_active_and_recently_involved(network_a, seed):
    newcomer = seed["reachable"][1]
    Person.objects.filter(pk=newcomer.pk).update(status="signed_up")
    keen = seed["reachable"][13]
    activity = Activity.objects.create(
        network=network_a, title="Asamblea", starts_at=timezone.now() - timedelta(days=3)
    )
    Attendance.objects.create(activity=activity, person=keen)
    tree = phone_tree_build(network=network_a, per_caller=3)
    by_id = {e.person_id: e for _d, e in tree.walk()}
    assert by_id[keen.pk] in tree.roots  # the most recently involved starts a branch
    assert newcomer.pk not in by_id  # an unconfirmed sign-up is not on the printed tree


@pytest.mark.django_db
def test_more_languages_than_calls_still_reaches_everyone(network_a, seed):
    person_upsert(
        network=network_a,
        data=PersonData(
            name="Solo English", phones=["+14135559001"], language="en", status="active"
        ),
    )
    tree = phone_tree_build(network=network_a, per_caller=1)
    assert len(tree.roots) == 1
    assert len(_ids(tree)) == len(set(_ids(tree))) == len(seed["reachable"]) + 1


@pytest.mark.django_db
def test_empty_network_gives_an_empty_tree(network_b):
    tree = phone_tree_build(network=network_b, per_caller=5)
    assert tree.roots == [] and tree.count == 0 and tree.max_calls() == 0
    pdf = phone_tree_pdf(tree=tree, network=network_b)
    assert pdf.startswith(b"%PDF")


@pytest.mark.django_db
def test_the_tree_reads_the_reach_flags_per_channel(network_a):
    """On the tree: reachable by a call or by a text (the flags kept on the person). A
    texts-only number whose person opted out of texts is off it; opted out of calls
    only, they are still texted."""
    texts_only = MemberFactory.create(network=network_a, name="Solo Textos")
    PersonPhone.objects.filter(person=texts_only).update(voice_ok=False)
    reach_refresh([texts_only.pk])  # as any write of a phone does
    person_opt_out(person=texts_only, channel="sms")
    no_calls = MemberFactory.create(network=network_a, name="Sin Llamadas")
    person_opt_out(person=no_calls, channel="voice")
    assert _ids(phone_tree_build(network=network_a, per_caller=5)) == [no_calls.pk]


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.mark.django_db
@pytest.mark.parametrize("per_caller", [2, 5])
def test_pdf_lists_every_person_once_with_national_numbers(network_a, seed, per_caller):
    tree = phone_tree_open(phone_tree_build(network=network_a, per_caller=per_caller))
    with translation.override("en"):
        text = _pdf_text(phone_tree_pdf(tree=tree, network=network_a))
    for person in seed["reachable"]:
        assert text.count(person.name) == 1, person.name
    assert "Nguyễn Thị Lan" in text  # printed as written, in the shipped Unicode font
    assert any("Núñez" in p.name for p in seed["reachable"])
    for person in seed["unreachable"]:
        assert person.name not in text
    phones = Counter(entry.phone for _d, entry in tree.walk())
    assert all(n == 1 for n in phones.values())
    for phone in phones:
        assert phone.startswith("(413) 555-")
        assert text.count(phone) == 1
    assert "Keep this paper safe; shred old copies." in text
    today = formats.date_format(timezone.localdate(), "DATE_FORMAT")
    assert today in text
    # each caller's callees, printed under their number, are at most per_caller
    numbers = [
        w
        for line in text.splitlines()
        if re.fullmatch(r"[\d.]+", w := line.split()[0] if line.split() else "")
    ]
    assert len(numbers) == len(seed["reachable"])
    children = Counter(n.rsplit(".", 1)[0] for n in numbers if "." in n)
    assert max(children.values()) <= per_caller
    assert sum(1 for n in numbers if "." not in n) <= per_caller


@pytest.mark.django_db
def test_pdf_follows_the_viewers_language(network_a, seed):
    tree = phone_tree_open(phone_tree_build(network=network_a, per_caller=5))
    with translation.override("es"):
        text = _pdf_text(phone_tree_pdf(tree=tree, network=network_a))
        month = formats.date_format(timezone.localdate(), "F")
    assert month.lower() in text.lower()  # the Spanish month name


# --- pages -----------------------------------------------------------------------------


# Since the two-person rule, the tree is asked for, approved by a second person and
# opened once (test_export_requests.py); these are the same checks on what is opened.


@pytest.fixture
def approver_a(network_a):
    return make_user(network_a, "second@a.example", ["coordinator"], name="Segunda Sánchez")


def tree_approved(requester, approver, per_caller, output):
    return export_approved(
        requester,
        approver,
        reverse("people:phonetree"),
        {"per_caller": per_caller, "output": output},
    )


@pytest.mark.django_db
def test_coordinator_sees_the_tree_and_the_view_is_audited_without_names(
    network_a, coordinator_a, approver_a, seed
):
    client = client_for(coordinator_a)
    asking = client.get(reverse("people:phonetree")).content.decode()
    assert f"{len(seed['reachable'])} people can be reached by phone." in asking
    assert seed["reachable"][0].name not in asking  # asking shows no name
    response = tree_approved(coordinator_a, approver_a, 4, "page")
    assert response.status_code == 200
    page = response.content.decode()
    for person in seed["reachable"]:
        assert page.count(person.name) == 1
    for person in seed["unreachable"]:
        assert person.name not in page
    assert "Keep this paper safe; shred old copies." in page
    assert "no-store" in response.headers.get("Cache-Control", "")
    event = AuditEvent.objects.filter(network=network_a, action="export").get()
    assert event.actor == coordinator_a
    assert f"count={len(seed['reachable'])}" in event.note
    for person in seed["reachable"]:
        assert person.name.split()[0] not in event.note


@pytest.mark.django_db
def test_pdf_download_is_audited(network_a, coordinator_a, approver_a, seed):
    response = tree_approved(coordinator_a, approver_a, 5, "pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text = _pdf_text(response.content)
    assert text.count(seed["reachable"][0].name) == 1
    event = AuditEvent.objects.filter(network=network_a, action="export").get()
    assert "pdf" in event.note and f"count={len(seed['reachable'])}" in event.note


@pytest.mark.django_db
def test_bad_number_of_calls_is_refused_and_not_audited(network_a, coordinator_a, seed):
    client = client_for(coordinator_a)
    for value in ("0", "abc", "500"):
        for output in ("page", "pdf"):
            response = client.post(
                reverse("people:phonetree"), {"per_caller": value, "output": output}
            )
            assert response.status_code == 400
            assert seed["reachable"][0].name not in response.content.decode()
    page = client.post(
        reverse("people:phonetree"), {"per_caller": "0", "output": "page"}
    ).content.decode()
    assert "Each person calls at least 1." in page
    assert 'value="0"' in page  # what was typed is kept
    assert not ExportRequest.objects.exists()
    assert not AuditEvent.objects.filter(network=network_a, action="export").exists()


@pytest.mark.django_db
def test_volunteer_without_export_capability_gets_403(network_a, volunteer_a, seed):
    client = client_for(volunteer_a)
    response = client.get(reverse("people:phonetree"))
    assert response.status_code == 403
    assert seed["reachable"][0].name not in response.content.decode()
    response = client.post(reverse("people:phonetree"), {"per_caller": 5, "output": "pdf"})
    assert response.status_code == 403
    dispatcher = make_user(network_a, "dispatch@a.example", ["dispatcher"])
    assert client_for(dispatcher).get(reverse("people:phonetree")).status_code == 403
    assert not ExportRequest.objects.exists()
    assert not AuditEvent.objects.filter(network=network_a, action="export").exists()


@pytest.mark.django_db
def test_other_networks_coordinator_sees_none_of_a(network_a, network_b, coordinator_b, seed):
    approver_b = make_user(network_b, "second@b.example", ["coordinator"])
    page = tree_approved(coordinator_b, approver_b, 5, "page").content.decode()
    text = _pdf_text(tree_approved(coordinator_b, approver_b, 5, "pdf").content)
    for person in seed["reachable"]:
        assert person.name not in page
        assert person.name not in text
    assert not AuditEvent.objects.filter(network=network_a, action="export").exists()
