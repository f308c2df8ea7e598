"""Exporting people: only with the capability and a second person's approval (the
two-person rule: test_export_requests.py), audited, filtered, escaped, and only the
exported fields decrypted."""

from __future__ import annotations

import csv
import io
import tempfile
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from amparo.accounts.models import AuditEvent, User
from amparo.conftest import client_for, make_user
from amparo.lib.crypto.fields import EncryptedTextField
from amparo.people.exporting import cell_escape, people_export, people_filter_from_query
from amparo.people.filters import PeopleFilter
from amparo.people.importing import import_apply, import_check, import_file_read
from amparo.people.models import ExportRequest, Person, PersonRole, Segment
from amparo.people.services import PersonData, person_upsert, place_get_or_create

HOSTILE = [
    '=HYPERLINK("http://evil.example","clic")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
]
# Names are trimmed when saved; a role's name (data a coordinator edits) is not.
HOSTILE_ROLES = {"tabbed": "\tTab role", "cr": "\rCR role"}


@pytest.fixture
def people(network_a):
    place = place_get_or_create(
        network=network_a,
        name="Northampton",
        latitude=42.325,
        longitude=-72.641,
        postal_code="01060",
    )
    for slug, label in HOSTILE_ROLES.items():
        PersonRole.objects.create(network=network_a, slug=slug, name={"en": label, "es": label})
    made = {}
    rows = [
        ("Ana López", ["+14135550101", "+524421234567"], "ana@example.org", ["driver"]),
        ("Luis Díaz", ["+14135550102"], "", ["interpreter"]),
        *(
            (name, [f"+1413555011{i}"], "", [slug] if slug else [])
            for i, (name, slug) in enumerate(zip(HOSTILE, ["tabbed", "cr", "", ""], strict=True))
        ),
    ]
    for name, phones, email, roles in rows:
        made[name], _ = person_upsert(
            network=network_a,
            data=PersonData(
                name=name,
                phones=phones,
                email=email,
                roles=roles,
                places=[place.pk],
                language="es",
                other_languages=["en"],
                notes="Secret note: lives behind the church",
                trainings=[("rapid-responder", date(2024, 3, 15))],
            ),
        )
    return made


@pytest.fixture
def approver_a(network_a) -> User:
    """A second person who can export people in network A."""
    return make_user(network_a, "second@a.example", ["coordinator"], name="Segunda Sánchez")


def ask(requester: User, url: str, data: dict) -> ExportRequest:
    """Ask for an export as ``requester``; the new request."""
    before = set(ExportRequest.objects.values_list("pk", flat=True))
    response = client_for(requester).post(url, {"reason": "Llamar al comité", **data})
    assert response.status_code == 302, response.content[:3000]
    assert response["Location"] == reverse("people:export_requests")
    return ExportRequest.objects.exclude(pk__in=before).get()


def approve(approver: User, request: ExportRequest):
    return client_for(approver).post(
        reverse("people:export_decide", args=[request.pk]), {"action": "approve"}
    )


def download(requester: User, request: ExportRequest):
    return client_for(requester).post(reverse("people:export_download", args=[request.pk]))


def export_approved(requester: User, approver: User, url: str, data: dict):
    """Ask as ``requester``, approve as ``approver``, download as ``requester``: the
    file response (the way every export goes since the two-person rule)."""
    request = ask(requester, url, data)
    assert approve(approver, request).status_code == 302
    request.refresh_from_db()
    assert request.status == ExportRequest.Status.APPROVED
    return download(requester, request)


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def test_cell_escape():
    for text in [*HOSTILE, *HOSTILE_ROLES.values()]:
        assert cell_escape(text) == "'" + text
    assert cell_escape("Ana López") == "Ana López"
    assert cell_escape("(413) 555-0101") == "(413) 555-0101"
    assert cell_escape(None) == ""


def test_csv_export_escapes_formulas_and_is_audited(network_a, coordinator_a, approver_a, people):
    client = client_for(coordinator_a)
    page = client.get(reverse("people:export"))
    assert page.status_code == 200 and "6 people" in page.content.decode()
    assert "Ana" not in page.content.decode()
    assert not AuditEvent.objects.filter(action="export").exists()  # looking is not exporting

    response = export_approved(
        coordinator_a, approver_a, reverse("people:export"), {"format": "csv"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="people-net-a-')
    assert "no-store" in response["Cache-Control"].replace(" ", "").split(",")
    rows = csv_rows(response.content)
    assert rows[0][:4] == ["Name", "Phone", "Other phones", "Email"]
    by_name = {r[0]: r for r in rows[1:]}
    assert len(by_name) == 6
    for text in HOSTILE:
        assert "'" + text in by_name
    assert by_name["'" + HOSTILE[0]][7] == "'\tTab role"
    assert by_name["'" + HOSTILE[1]][7] == "'\rCR role"
    ana = by_name["Ana López"]
    assert ana[1:4] == ["(413) 555-0101", "'+52 442 123 4567", "ana@example.org"]
    assert ana[4:9] == [
        "Spanish",
        "English",
        "Northampton",
        "Driver",
        "Rapid responder (2024-03-15)",
    ]
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
            assert "Secret note" not in cell

    event = AuditEvent.objects.get(action="export")
    assert event.actor == coordinator_a and event.network == network_a
    assert event.note == "people csv rows=6"
    for name in people:
        assert name not in event.note


def test_xlsx_export_has_no_formula_cells(network_a, coordinator_a, approver_a, people):
    response = export_approved(
        coordinator_a, approver_a, reverse("people:export"), {"format": "xlsx"}
    )
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))  # not data_only: see formulas
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type == "s" for c in cells)
    values = {c.value for c in cells}
    for text in [*HOSTILE, *HOSTILE_ROLES.values()]:
        # with lxml installed openpyxl keeps a CR; without it, XML reads a CR as a line feed
        assert {"'" + text, "'" + text.replace("\r", "\n")} & values
    assert AuditEvent.objects.get(action="export").note == "people xlsx rows=6"


def test_an_xlsx_export_is_built_in_memory_without_a_temporary_file(
    network_a, coordinator_a, people, monkeypatch
):
    """openpyxl writes each worksheet to a temporary file in clear before zipping it (in
    write-only and normal mode alike): the export's names and numbers never go there.
    Every temporary file or folder the standard library makes passes _sanitize_params."""
    made: list[object] = []
    sanitize = tempfile._sanitize_params  # type: ignore[attr-defined]

    def spy(*args: object) -> object:
        made.append(args)
        return sanitize(*args)

    monkeypatch.setattr(tempfile, "_sanitize_params", spy)
    exported = people_export(
        network=network_a, actor=coordinator_a, people_filter=PeopleFilter(), file_format="xlsx"
    )
    assert made == []
    sheet = load_workbook(io.BytesIO(exported.content)).active
    assert isinstance(sheet, Worksheet) and sheet.max_row == 1 + exported.rows == 7
    tempfile.NamedTemporaryFile().close()  # the spy sees one: the test can fail
    assert len(made) == 1


def test_export_of_a_filter_and_of_a_segment(network_a, coordinator_a, approver_a, people):
    client = client_for(coordinator_a)
    url = reverse("people:export") + "?roles=driver"
    assert "1 person" in client.get(url).content.decode()
    rows = csv_rows(export_approved(coordinator_a, approver_a, url, {"format": "csv"}).content)
    assert [r[0] for r in rows[1:]] == ["Ana López"]

    segment = Segment.objects.create(
        network=network_a, name="Interpreters", filters={"roles": ["interpreter"]}
    )
    url = reverse("people:export") + f"?segment={segment.pk}"
    rows = csv_rows(export_approved(coordinator_a, approver_a, url, {"format": "csv"}).content)
    assert [r[0] for r in rows[1:]] == ["Luis Díaz"]
    event = AuditEvent.objects.filter(action="export").order_by("-pk").first()
    assert event is not None
    assert event.target_type == "people.segment" and event.target_id == str(segment.pk)
    assert event.note == "people csv rows=1"


def test_filter_from_query_is_bounded_and_ignores_a_name():
    from django.http import QueryDict

    query = QueryDict(
        "roles=driver,interpreter&roles=attorney&places=3&places=x&statuses=active&statuses=evil"
        "&trained_within_days=99999&available_now=yes&participated_days=30&q=Mar"
    )
    got = people_filter_from_query(query=query)
    assert got.q == ""  # a name never comes from a URL
    assert got == PeopleFilter(
        roles=["driver", "interpreter", "attorney"],
        places=[3],
        statuses=["active"],
        available_now=True,
        participated_days=30,
    )


def test_only_exported_fields_are_decrypted(network_a, coordinator_a, people, monkeypatch):
    opened: list[str] = []
    original = EncryptedTextField.open_value

    def spy(self, instance, sealed):
        opened.append(f"{type(instance).__name__}.{self.name}")
        return original(self, instance, sealed)

    monkeypatch.setattr(EncryptedTextField, "open_value", spy)
    people_export(
        network=network_a,
        actor=coordinator_a,
        people_filter=PeopleFilter(roles=["driver"]),
        file_format="csv",
    )
    assert set(opened) == {"Person.name", "Person.email", "PersonPhone.number"}
    assert opened.count("Person.name") == 1  # one person matched the filter: one name opened


def test_an_export_can_be_imported_again_and_changes_nothing(network_a, coordinator_a, people):
    exported = people_export(
        network=network_a, actor=coordinator_a, people_filter=PeopleFilter(), file_format="xlsx"
    )
    payload = import_file_read(
        filename="again.xlsx", stream=io.BytesIO(exported.content), size=len(exported.content)
    )
    check = import_check(network=network_a, payload=payload)
    # the escaped formulas come back as formulas, and are refused; everything else matches
    assert len(check.problems()) == 1
    assert "formula" in check.problems()[0].errors[0][1]
    audits = AuditEvent.objects.filter(target_type="people.person").count()
    outcome = import_apply(network=network_a, check=check, skip_errors=True)
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 0, 5)
    assert AuditEvent.objects.filter(target_type="people.person").count() == audits


def test_export_needs_the_capability(network_a, volunteer_a, coordinator_a, approver_a, people):
    request = ask(coordinator_a, reverse("people:export"), {"format": "csv"})
    client = client_for(volunteer_a)
    assert client.get(reverse("people:export")).status_code == 403
    response = client.post(reverse("people:export"), {"format": "csv"})
    assert response.status_code == 403 and b"Ana" not in response.content
    assert client.get(reverse("people:export_requests")).status_code == 403
    assert approve(volunteer_a, request).status_code == 403
    assert approve(approver_a, request).status_code == 302
    response = download(volunteer_a, request)
    assert response.status_code == 403 and b"Ana" not in response.content
    assert ExportRequest.objects.count() == 1
    assert not AuditEvent.objects.filter(action="export").exists()


def test_another_network_exports_only_its_own(network_a, coordinator_b, network_b, people):
    segment = Segment.objects.create(network=network_a, name="A's", filters={})
    client = client_for(coordinator_b)
    url = reverse("people:export") + f"?segment={segment.pk}"
    assert client.get(url).status_code == 404
    assert client.post(url, {"format": "csv"}).status_code == 404
    approver_b = make_user(network_b, "second@b.example", ["coordinator"])
    response = export_approved(
        coordinator_b, approver_b, reverse("people:export"), {"format": "csv"}
    )
    assert csv_rows(response.content)[1:] == []
    assert not AuditEvent.objects.filter(action="export", network=network_a).exists()
    assert Person.objects.filter(network=network_a).count() == 6
