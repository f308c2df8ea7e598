"""Importing people: files good and hostile, mapping, preview, fixes, dedupe, idempotence,
the command and the web page, tenancy and permissions."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from amparo.accounts.models import AuditEvent
from amparo.conftest import client_for
from amparo.lib.crypto.blind import phone_index
from amparo.people import importing
from amparo.people.bulk import people_bulk_write
from amparo.people.importing import (
    MAX_UPLOAD_BYTES,
    ImportFailed,
    ImportFileError,
    import_apply,
    import_batch_create,
    import_batch_run,
    import_check,
    import_file_read,
)
from amparo.people.models import ImportBatch, Person, PersonPhone, PersonTraining
from amparo.people.services import PersonData, person_upsert, place_get_or_create

HEADER = "Name,Phone,Email,Town\n"


def read(data: bytes, filename: str = "people.csv") -> dict:
    return import_file_read(filename=filename, stream=io.BytesIO(data), size=len(data))


def fields(payload: dict) -> list[str]:
    return [c["field"] for c in payload["columns"]]


def check_of(network, data: bytes, filename: str = "people.csv"):
    payload = read(data, filename)
    payload["training"] = "rapid-responder"
    return payload, import_check(network=network, payload=payload)


def run(network, data: bytes, filename: str = "people.csv", **kwargs):
    _payload, check = check_of(network, data, filename)
    return import_apply(network=network, check=check, **kwargs)


def people_count(network) -> int:
    return Person.objects.filter(network=network).count()


def person_with_phone(network, e164: str) -> Person:
    return PersonPhone.objects.get(person__network=network, number_index=phone_index(e164)).person


@pytest.fixture
def places(network_a):
    return {
        "northampton": place_get_or_create(
            network=network_a,
            name="Northampton",
            latitude=42.325,
            longitude=-72.641,
            postal_code="01060",
        ),
        "holyoke": place_get_or_create(
            network=network_a,
            name="Holyoke",
            latitude=42.204,
            longitude=-72.616,
            postal_code="01040",
        ),
    }


def xlsx_bytes(
    rows: list[list], merges: tuple[str, ...] = (), literal: dict | None = None
) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    for row in rows:
        sheet.append(row)
    for cells in merges:
        sheet.merge_cells(cells)
    for ref, text in (literal or {}).items():  # a string that merely starts with "="
        sheet[ref].value = text
        sheet[ref].data_type = "s"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- reading files --------------------------------------------------------------------


def test_headings_in_english_and_spanish_are_recognised():
    payload = read(
        "Nombre;Apellidos;Teléfono;Celular;Correo electrónico;Idioma;Otros idiomas;"
        "Código postal;Rol;Capacitación;Fecha de capacitación;Notas;Color favorito\n"
        "Ana;López;413 555 0101;;ana@example.org;es;;;;;;;azul\n".encode()
    )
    assert fields(payload) == [
        "first_name",
        "last_name",
        "phone",
        "phone",
        "email",
        "language",
        "other_languages",
        "place",
        "roles",
        "trained",
        "training_date",
        "notes",
        "",
    ]
    english = read(b"First name,Last name,Mobile,E-mail,Languages spoken,City,Role\nA,B,1,x,,,\n")
    assert fields(english) == [
        "first_name",
        "last_name",
        "phone",
        "email",
        "other_languages",
        "place",
        "roles",
    ]


def test_bom_and_semicolons(network_a):
    data = "\ufeffNombre;Teléfono;Correo\nJosé Peña;(413) 555-0101;jose@example.org\n"
    payload = read(data.encode("utf-8"))
    assert payload["columns"][0]["header"] == "Nombre"  # no BOM glued to the heading
    assert payload["rows"][0]["cells"] == ["José Peña", "(413) 555-0101", "jose@example.org"]
    outcome = run(network_a, data.encode("utf-8"))
    assert outcome.created == 1
    person = person_with_phone(network_a, "+14135550101")
    assert person.name == "José Peña"
    assert person.email == "jose@example.org"


def test_latin1_and_tabs():
    data = "Nombre\tTeléfono\nJosé Peña\t413-555-0101\nMaría, la de Holyoke\t413-555-0102\n"
    payload = read(data.encode("latin-1"))
    assert [r["cells"][0] for r in payload["rows"]] == ["José Peña", "María, la de Holyoke"]


def test_semicolon_file_with_commas_in_cells():
    payload = read("Nombre;Teléfono;Notas\nAna;4135550101;llega a las 5, o 6\n".encode())
    assert payload["rows"][0]["cells"] == ["Ana", "4135550101", "llega a las 5, o 6"]


def test_title_row_above_the_headings_and_a_sub_heading_row_from_merged_cells(tmp_path):
    data = xlsx_bytes(
        [
            ["Red de respuesta rápida — lista 2024", None, None, None],
            ["Nombre", "Contacto", None, "Pueblo"],
            [None, "Teléfono", "Correo", None],
            ["Ana López", "413 555 0101", "ana@example.org", "Northampton"],
            ["Luis Díaz", 4135550102, None, "Holyoke"],
        ],
        merges=("A1:D1", "A2:A3", "B2:C2", "D2:D3"),
    )
    path = tmp_path / "lista.xlsx"
    path.write_bytes(data)
    with path.open("rb") as stream:
        payload = import_file_read(filename=path.name, stream=stream, size=len(data))
    assert fields(payload) == ["name", "phone", "email", "place"]
    assert [r["n"] for r in payload["rows"]] == [4, 5]
    assert payload["rows"][1]["cells"][:2] == ["Luis Díaz", "4135550102"]  # a number, no ".0"


def test_phones_heading_merged_over_two_columns(network_a):
    data = xlsx_bytes(
        [
            ["Nombre", "Teléfonos", None, "Correo"],
            ["Ana López", "413 555 0101", "413 555 0109", "ana@example.org"],
        ],
        merges=("B1:C1",),
    )
    payload = read(data, "people.xlsx")
    assert fields(payload) == ["name", "phone", "phone", "email"]
    run(network_a, data, "people.xlsx")
    person = person_with_phone(network_a, "+14135550109")
    assert sorted(p.number for p in person.phones.all()) == ["+14135550101", "+14135550109"]


def test_no_heading_row():
    with pytest.raises(ImportFileError) as error:
        read(b"Ana Lopez,4135550101\nLuis Diaz,4135550102\n")
    assert "headings" in error.value.message


@pytest.mark.parametrize(
    "data",
    [b"", b"\n\n\n", b";;;\r\n;;;\r\n", b"\xef\xbb\xbf"],
    ids=["zero bytes", "blank lines", "only separators", "only a BOM"],
)
def test_empty_files(data):
    with pytest.raises(ImportFileError) as error:
        read(data)
    assert "empty" in error.value.message


def test_headings_without_people():
    with pytest.raises(ImportFileError) as error:
        read(b"Name,Phone,Email\n\n")
    assert "no people" in error.value.message


@pytest.mark.parametrize(
    ("filename", "data", "words"),
    [
        ("people.pdf", b"%PDF-1.7 ...", "CSV files"),
        ("people.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "CSV files"),
        ("people.csv", b"Name,Phone\x00\x00\x01\x02binary", "CSV files"),
        ("people.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel"),
        ("people.xlsx", b"this is not a zip file at all", "CSV files"),
        ("people.docx", b"PK\x03\x04", "could not read"),
        ("people.exe", b"MZ\x90\x00", "CSV files"),
    ],
)
def test_wrong_file_types(filename, data, words):
    with pytest.raises(ImportFileError) as error:
        read(data, filename)
    assert words in error.value.message


def test_a_zip_that_is_not_a_workbook(tmp_path):
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(ImportFileError) as error:
        read(out.getvalue(), "people.xlsx")
    assert "CSV files" in error.value.message


class Untouchable(io.BytesIO):
    def read(self, *args):  # pragma: no cover - the point is that it is never called
        raise AssertionError("the file was read")


def test_too_big_is_refused_before_a_byte_is_read():
    with pytest.raises(ImportFileError) as error:
        import_file_read(filename="big.csv", stream=Untouchable(), size=50 * 1024 * 1024)
    assert "10 MB" in error.value.message


# --- checking rows ----------------------------------------------------------------------


def test_unparseable_phones_name_missing_and_bad_email(network_a):
    data = (
        HEADER + "Ana López,not a phone,,\n"
        ",413-555-0102,,\n"
        "Luis Díaz,12,,\n"
        "Rosa Ruiz,,rosa@@example,\n"
        "Sin Contacto,,,\n"
        "Bien Hecho,413-555-0105,,\n"
    ).encode()
    _payload, check = check_of(network_a, data)
    problems = {r.number: [m for _c, m in r.errors] for r in check.problems()}
    assert "Phone (column B): This is not a phone number." in problems[2]
    assert problems[3] == ["The name is missing."]
    assert "too few or too many digits" in problems[4][0]
    assert "not an email address" in problems[5][0]
    assert "No phone number or email" in problems[6][0]
    assert 7 not in problems
    assert check.counts()["error"] == 5
    # the column of the problem is given, so the page can show it beside the cell
    assert check.problems()[0].errors[0][0] == 1


def test_formulas_are_never_run_but_flagged(network_a):
    data = (
        HEADER + '=HYPERLINK("http://evil.example";"clic"),413-555-0101,,\n'
        "Ana López,=1+1,,\n"
        "'=2+2,413-555-0103,,\n"
    ).encode()
    _payload, check = check_of(network_a, data)
    assert [r.number for r in check.problems()] == [2, 3, 4]
    for row in check.problems():
        assert "formula" in row.errors[0][1]
    with pytest.raises(importing.ImportNotReady):
        import_apply(network=network_a, check=check)
    outcome = import_apply(network=network_a, check=check, skip_errors=True)
    assert outcome.created == 0 and people_count(network_a) == 0


def test_formulas_in_a_workbook_are_not_executed(network_a):
    data = xlsx_bytes(
        [["Name", "Phone"], ["=1+1", "413-555-0101"], [None, "413-555-0102"]],
        literal={"A3": "=cmd|' /C calc'!A0"},
    )
    payload, check = check_of(network_a, data, "people.xlsx")
    # openpyxl wrote no cached value: read with data_only, the formula is just empty
    assert payload["rows"][0]["cells"][0] == ""
    assert payload["rows"][1]["cells"][0] == "=cmd|' /C calc'!A0"
    messages = [m for r in check.problems() for _c, m in r.errors]
    assert messages == ["The name is missing.", "Name (column A): " + messages[1].split(": ", 1)[1]]
    assert "formula" in messages[1]


def test_roles_places_languages_and_trainings(network_a, places):
    data = (
        "Nombre,Teléfono,Idioma,Otros idiomas,Código postal,Rol,Capacitado,Fecha de capacitación\n"
        'Ana López,413-555-0101,Español,"inglés, portugués",1060,"Transporte, Interpreter",sí,3/15/2024\n'
        "Luis Díaz,413-555-0102,en,,Holyoke; Northampton,driver,Know your rights (2023-05-02),\n"
        'Rosa Ruiz,413-555-0103,,Mam,"Holyoke, MA",,no,\n'
    ).encode()
    outcome = run(network_a, data)
    assert outcome.created == 3
    ana = person_with_phone(network_a, "+14135550101")
    assert ana.speaks() == ["es", "en", "pt"]
    assert sorted(ana.roles.values_list("slug", flat=True)) == ["driver", "interpreter"]
    assert [a.place for a in ana.areas.all()] == [places["northampton"]]
    assert list(
        PersonTraining.objects.filter(person=ana).values_list("training_type__slug", "completed_on")
    ) == [("rapid-responder", date(2024, 3, 15))]
    luis = person_with_phone(network_a, "+14135550102")
    assert luis.language == "en"
    assert {a.place.name for a in luis.areas.all()} == {"Holyoke", "Northampton"}
    assert list(
        PersonTraining.objects.filter(person=luis).values_list(
            "training_type__slug", "completed_on"
        )
    ) == [("kyr", date(2023, 5, 2))]
    rosa = person_with_phone(network_a, "+14135550103")
    assert rosa.speaks() == ["es", "mam"]
    assert [a.place for a in rosa.areas.all()] == [places["holyoke"]]
    assert not PersonTraining.objects.filter(person=rosa).exists()


def test_unknown_values_are_explained(network_a, places):
    data = (
        b"Name,Phone,Language,Town,Role,Trained,Training date\n"
        b"A,413-555-0101,Klingon,,,,\n"
        b"B,413-555-0102,pt,,,,\n"
        b"C,413-555-0103,,Springfield,,,\n"
        b"D,413-555-0104,,,Astronaut,,\n"
        b"E,413-555-0105,,,,Juggling,2024-01-01\n"
        b"F,413-555-0106,,,,yes,\n"
        b"G,413-555-0107,,,,yes,31/31/2024\n"
        b"H,413-555-0108,,,,yes,2999-01-01\n"
    )
    _payload, check = check_of(network_a, data)
    problems = {r.number: r.errors[0][1] for r in check.problems()}
    assert "does not recognise this language" in problems[2]
    assert "only in English, Spanish" in problems[3]
    assert "not in the network's list of places" in problems[4]
    assert "not one of the network's roles" in problems[5] and "Driver" in problems[5]
    assert "not one of the network's trainings" in problems[6]
    assert "training date is missing" in problems[7]
    assert "cannot read this date" in problems[8]
    assert "in the future" in problems[9]


# --- duplicates -----------------------------------------------------------------------


def test_duplicates_in_the_file_become_one_person(network_a):
    data = (
        HEADER + "Ana López,413-555-0101,,\n"
        "Luis Díaz,413-555-0102,,\n"
        "Ana López,(413) 555-0101,ana@example.org,\n"
        "A. López,+1 413 555 0199,ANA@example.org,\n"
    ).encode()
    _payload, check = check_of(network_a, data)
    statuses = [(r.number, r.status, r.duplicate_of) for r in check.rows]
    assert statuses == [
        (2, "new", None),
        (3, "new", None),
        (4, "duplicate", 2),
        (5, "duplicate", 2),
    ]
    assert "Same person as row 2" in check.rows[2].warnings[0]
    assert "another name" in check.rows[3].warnings[0]
    outcome = import_apply(network=network_a, check=check)
    assert (outcome.created, outcome.merged) == (2, 2)
    ana = person_with_phone(network_a, "+14135550199")
    assert ana.email == "ana@example.org"
    assert sorted(p.number for p in ana.phones.all()) == ["+14135550101", "+14135550199"]
    assert people_count(network_a) == 2


def test_people_already_in_the_database_are_updated_not_duplicated(network_a, coordinator_a):
    existing, _ = person_upsert(
        network=network_a, data=PersonData(name="Ana López", phones=["+14135550101"])
    )
    data = (
        HEADER + "Ana López,413 555 0101,ana@example.org,\nAna María López,,ana@example.org,\n"
    ).encode()
    _payload, check = check_of(network_a, data)
    assert [r.status for r in check.rows] == ["existing", "duplicate"]
    assert "Already in Amparo" in check.rows[0].warnings[0]
    outcome = import_apply(network=network_a, check=check, actor=coordinator_a)
    assert (outcome.created, outcome.updated, outcome.merged) == (0, 1, 1)
    existing.refresh_from_db()
    assert existing.email == "ana@example.org"
    assert people_count(network_a) == 1


def test_a_name_that_differs_from_the_database_is_pointed_out(network_a):
    person_upsert(network=network_a, data=PersonData(name="María Pérez", phones=["+14135550101"]))
    _payload, check = check_of(network_a, (HEADER + "Juan Pérez,413 555 0101,,\n").encode())
    assert "under another name" in check.rows[0].warnings[0]
    import_apply(network=network_a, check=check, actor=None)
    assert person_with_phone(network_a, "+14135550101").name == "María Pérez"  # kept


def test_a_shared_family_phone_needs_a_name_or_an_email(network_a):
    for name in ("María Pérez", "Juan Pérez"):
        person, _ = person_upsert(
            network=network_a, data=PersonData(name=name, email=f"{name[:4]}@x.org")
        )
        PersonPhone.objects.create(person=person, number="+14135550101")
    data = (HEADER + "Juan Pérez,413 555 0101,,\nPedro Pérez,413 555 0101,,\n").encode()
    _payload, check = check_of(network_a, data)
    # both rows share the phone, so they are one group; Juan's name settles who it is
    assert [r.status for r in check.rows] == ["existing", "duplicate"]
    _payload, check = check_of(network_a, (HEADER + "Pedro Pérez,413 555 0101,,\n").encode())
    assert "several people already in Amparo" in check.problems()[0].errors[0][1]


def test_emails_of_two_different_people_cannot_merge(network_a):
    person_upsert(network=network_a, data=PersonData(name="Ana", email="ana@example.org"))
    person_upsert(network=network_a, data=PersonData(name="Luz", email="luz@example.org"))
    data = (
        HEADER + "Ana,413 555 0101,ana@example.org,\nLuz,413 555 0101,luz@example.org,\n"
    ).encode()
    _payload, check = check_of(network_a, data)
    assert len(check.problems()) == 2
    assert "different people already in Amparo" in check.problems()[0].errors[0][1]


# --- the command, idempotence, transactions --------------------------------------------


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = (
    "Nombre;Teléfono;Correo;Rol;Capacitado;Fecha de capacitación\n"
    "Ana López;413-555-0101;ana@example.org;Transporte;sí;2024-03-15\n"
    "Luis Díaz;413-555-0102;;driver;;\n"
    "Ana López;413 555 0101;;;;\n"
)


def test_command_imports_and_reimport_changes_nothing(network_a, tmp_path, capsys):
    path = write(tmp_path, "lista.csv", GOOD)
    call_command("import_people", str(path), "--network", network_a.slug)
    out = capsys.readouterr().out
    assert "3 rows: 2 created, 0 updated, 0 unchanged, 1 merged duplicates, 0 skipped" in out
    assert "3 of 3 rows (100%): 2 created, 0 updated" in out  # the page's progress, as lines
    assert "row 4: same person as row 2" in out
    batch = ImportBatch.objects.get(network=network_a)
    assert batch.status == "imported" and batch.payload is None
    assert (batch.row_count, batch.created_count, batch.skipped_count) == (3, 2, 0)
    before = sorted(Person.objects.filter(network=network_a).values_list("pk", "updated_at"))
    audits = AuditEvent.objects.filter(target_type="people.person").count()
    trainings = PersonTraining.objects.count()

    call_command("import_people", str(path), "--network", network_a.slug)
    out = capsys.readouterr().out
    assert "2 unchanged" in out and "0 created, 0 updated" in out
    assert (
        sorted(Person.objects.filter(network=network_a).values_list("pk", "updated_at")) == before
    )
    assert AuditEvent.objects.filter(target_type="people.person").count() == audits
    assert PersonTraining.objects.count() == trainings
    second = ImportBatch.objects.filter(network=network_a).order_by("-pk").first()
    assert (second.unchanged_count, second.created_count, second.updated_count) == (2, 0, 0)


def test_command_dry_run_saves_nothing(network_a, tmp_path, capsys):
    path = write(tmp_path, "lista.csv", GOOD)
    call_command("import_people", str(path), "--network", network_a.slug, "--dry-run")
    assert "would have 3 rows: 2 created" in capsys.readouterr().out
    assert people_count(network_a) == 0
    assert not ImportBatch.objects.exists()
    assert not AuditEvent.objects.filter(target_type="people.person").exists()


def test_command_refuses_rows_with_problems_unless_told_to_skip(network_a, tmp_path, capsys):
    path = write(tmp_path, "lista.csv", HEADER + "Ana,not a phone,,\nLuis,413-555-0102,,\n")
    with pytest.raises(CommandError) as error:
        call_command("import_people", str(path), "--network", network_a.slug)
    assert "1 row still has a problem" in str(error.value)
    assert "row 2: Phone (column B): This is not a phone number." in capsys.readouterr().err
    assert people_count(network_a) == 0
    assert ImportBatch.objects.get().payload is None  # abandoned, rows dropped
    call_command("import_people", str(path), "--network", network_a.slug, "--skip-errors")
    assert "1 created" in capsys.readouterr().out
    assert people_count(network_a) == 1


def test_command_file_problems(network_a, tmp_path):
    big = tmp_path / "big.csv"
    with big.open("wb") as f:
        f.truncate(50 * 1024 * 1024)  # sparse: 50 MB on paper, nothing in memory
    with pytest.raises(CommandError, match="larger than 10 MB"):
        call_command("import_people", str(big), "--network", network_a.slug)
    with pytest.raises(CommandError, match="no network"):
        call_command("import_people", str(big), "--network", "nope")
    with pytest.raises(CommandError, match="cannot open"):
        call_command("import_people", str(tmp_path / "missing.csv"), "--network", network_a.slug)
    assert not ImportBatch.objects.exists()


def test_a_failure_midway_keeps_the_chunks_written_and_drops_the_rows(
    network_a, coordinator_a, monkeypatch
):
    data = (HEADER + "Ana,413-555-0101,,\nLuis,413-555-0102,,\nRosa,413-555-0103,,\n").encode()
    batch = import_batch_create(
        network=network_a,
        actor=coordinator_a,
        filename="x.csv",
        stream=io.BytesIO(data),
        size=len(data),
    )
    calls = []
    real_write = people_bulk_write

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_write(**kwargs)

    monkeypatch.setattr("amparo.people.importing.work.people_bulk_write", flaky)
    monkeypatch.setattr("amparo.people.importing.work.CHUNK_GROUPS", 1)
    monkeypatch.setattr("amparo.people.importing.work.MIN_CHUNK", 1)
    monkeypatch.setattr("amparo.people.importing.work.MAX_CHUNK", 1)
    with pytest.raises(ImportFailed, match="stopped after 1 of 3 rows"):
        import_batch_run(batch=batch, actor=coordinator_a)
    assert people_count(network_a) == 1  # the first chunk was committed; the second not
    batch.refresh_from_db()
    assert batch.status == "failed" and batch.payload is None
    assert batch.created_count == 1 and batch.done_count == 1
    # uploading the file again imports the rest, and the first person is not duplicated
    monkeypatch.undo()
    again = import_batch_create(
        network=network_a, actor=None, filename="x.csv", stream=io.BytesIO(data), size=len(data)
    )
    outcome = import_batch_run(batch=again)
    assert (outcome.created, outcome.unchanged) == (2, 1)
    assert people_count(network_a) == 3


def test_payload_is_sealed_and_dropped_after_the_import(network_a, coordinator_a):
    from django.db import connection

    data = (HEADER + "Ana Secreta,413-555-0101,,\n").encode()
    batch = import_batch_create(
        network=network_a,
        actor=coordinator_a,
        filename="x.csv",
        stream=io.BytesIO(data),
        size=len(data),
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT payload FROM people_importbatch WHERE id = %s", [batch.pk])
        stored = cursor.fetchone()[0]
    assert "Secreta" not in stored and "555" not in stored
    import_batch_run(batch=batch, actor=coordinator_a)
    batch.refresh_from_db()
    assert batch.payload is None and batch.created_count == 1


# --- the web page ---------------------------------------------------------------------


def upload(client: Client, data: bytes, name: str = "people.csv"):
    return client.post(reverse("people:import"), {"file": SimpleUploadedFile(name, data)})


def test_web_upload_preview_fix_and_import(network_a, coordinator_a, places):
    client = client_for(coordinator_a)
    assert client.get(reverse("people:import")).status_code == 200
    data = (
        "Nombre,Teléfono,Correo,Pueblo,Color\n"
        "Ana López,413-555-0101,ana@example.org,Northampton,azul\n"
        "Luis Díaz,4135-no,,Holyoke,verde\n"
        "Rosa Ruiz,413-555-0103,,Atlantis,rojo\n"
        "Ana López,413 555 0101,,,\n"
    ).encode()
    response = upload(client, data)
    batch = ImportBatch.objects.get(network=network_a)
    preview = reverse("people:import_preview", kwargs={"pk": batch.pk})
    assert response.status_code == 302 and response["Location"] == preview
    page = client.get(preview).content.decode()
    assert "Teléfono (column B): This phone number has too few or too many digits." in page
    assert "not in the network&#x27;s list of places" in page
    assert "Same person as row 2" in page
    assert 'name="cell-1-1"' in page and 'aria-invalid="true"' in page

    # importing now is refused: two rows still have problems
    form = {"col-0": "name", "col-1": "phone", "col-2": "email", "col-3": "place", "col-4": ""}
    form["training"] = "rapid-responder"
    cells = {f"cell-{r}-{c}": "" for r in (1, 2) for c in range(4)}
    cells.update({"cell-1-0": "Luis Díaz", "cell-1-1": "4135-no", "cell-1-3": "Holyoke"})
    cells.update({"cell-2-0": "Rosa Ruiz", "cell-2-1": "413-555-0103", "cell-2-3": "Atlantis"})
    response = client.post(preview, {**form, **cells, "action": "import"}, follow=True)
    assert "2 rows still have problems" in response.content.decode()
    assert people_count(network_a) == 0

    # fix one row, skip the other, import
    cells["cell-1-1"] = "413-555-0102"
    response = client.post(preview, {**form, **cells, "action": "check"}, follow=True)
    assert response.redirect_chain == [(preview, 302)]
    assert "1 row with a problem" in response.content.decode()
    batch.refresh_from_db()
    assert batch.payload["rows"][1]["cells"][1] == "413-555-0102"
    assert batch.error_count == 1
    response = client.post(
        preview, {**form, "cell-2-0": "Rosa Ruiz", "cell-2-1": "413-555-0103",
                  "cell-2-2": "", "cell-2-3": "Atlantis", "skip-2": "on", "action": "import"},
        follow=True,
    )  # fmt: skip
    page = response.content.decode()
    assert "The import has started." in page and '<progress id="import-bar"' in page
    batch.refresh_from_db()
    assert batch.status == "queued" and people_count(network_a) == 0
    importing.import_batch_work(batch_id=batch.pk)  # what the worker runs
    page = client.get(preview).content.decode()
    assert "Imported on" in page and "<progress" not in page
    batch.refresh_from_db()
    assert batch.status == "imported" and batch.payload is None
    assert (batch.created_count, batch.skipped_count, batch.row_count) == (2, 1, 4)
    luis = person_with_phone(network_a, "+14135550102")
    assert luis.name == "Luis Díaz" and luis.source == "import"
    assert [a.place.name for a in luis.areas.all()] == ["Holyoke"]
    assert people_count(network_a) == 2
    # the finished batch shows only counts, and cannot be imported twice
    assert "Ana López" not in client.get(preview).content.decode()
    client.post(preview, {**form, "action": "import"})
    assert people_count(network_a) == 2


def test_web_mapping_can_be_changed(network_a, coordinator_a):
    client = client_for(coordinator_a)
    upload(client, b"Name,Phone,Whatever\nAna,413-555-0101,ana@example.org\n")
    batch = ImportBatch.objects.get()
    preview = reverse("people:import_preview", kwargs={"pk": batch.pk})
    form = {"col-0": "name", "col-1": "phone", "col-2": "email", "action": "check"}
    assert client.post(preview, form).status_code == 302
    batch.refresh_from_db()
    assert fields(batch.payload) == ["name", "phone", "email"]
    # two columns of names is a mapping problem, explained
    page = client.post(preview, {**form, "col-2": "name"}, follow=True).content.decode()
    assert "Only one column can be “Full name”" in page
    client.post(preview, {**form, "action": "import"})
    importing.import_batch_work(batch_id=batch.pk)  # what the worker runs
    assert person_with_phone(network_a, "+14135550101").email == "ana@example.org"


def test_web_upload_problems_are_explained(network_a, coordinator_a):
    client = client_for(coordinator_a)
    response = upload(client, b"", "empty.csv")
    assert response.status_code == 400 and "This file is empty." in response.content.decode()
    response = upload(client, b"%PDF-1.4", "people.pdf")
    assert "Excel workbooks (.xlsx)" in response.content.decode()
    response = upload(client, b"x" * (MAX_UPLOAD_BYTES + 1), "big.csv")
    assert response.status_code == 400 and "larger than 10 MB" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_a_50_mb_upload_is_refused_before_it_is_parsed(network_a, coordinator_a, monkeypatch):
    from django.core.files.uploadhandler import TemporaryFileUploadHandler

    def spooled(*args, **kwargs):  # pragma: no cover - must not happen
        raise AssertionError("the upload was parsed")

    monkeypatch.setattr(TemporaryFileUploadHandler, "new_file", spooled)
    response = upload(client_for(coordinator_a), b"a" * (50 * 1024 * 1024), "big.csv")
    assert response.status_code == 413
    assert "larger than 10 MB" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_the_upload_still_checks_csrf(network_a, coordinator_a):
    # both factors passed, so the 403 below can only be the missing CSRF token
    client = client_for(coordinator_a, enforce_csrf_checks=True)
    response = client.post(
        reverse("people:import"), {"file": SimpleUploadedFile("p.csv", HEADER.encode())}
    )
    assert response.status_code == 403
    assert not ImportBatch.objects.exists()


def test_cancel_drops_the_rows(network_a, coordinator_a):
    client = client_for(coordinator_a)
    upload(client, (HEADER + "Ana,413-555-0101,,\n").encode())
    batch = ImportBatch.objects.get()
    response = client.post(
        reverse("people:import_preview", kwargs={"pk": batch.pk}), {"action": "abandon"}
    )
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == "abandoned" and batch.payload is None
    assert people_count(network_a) == 0


def test_another_networks_coordinator_gets_404(network_a, coordinator_a, coordinator_b):
    upload(client_for(coordinator_a), (HEADER + "Ana Secreta,413-555-0101,,\n").encode())
    batch = ImportBatch.objects.get()
    preview = reverse("people:import_preview", kwargs={"pk": batch.pk})
    other = client_for(coordinator_b)
    for response in (
        other.get(preview),
        other.post(preview, {"action": "import", "col-0": "name", "col-1": "phone"}),
        other.post(preview, {"action": "abandon"}),
    ):
        assert response.status_code == 404
        assert "Secreta" not in response.content.decode()
    assert "Secreta" not in other.get(reverse("people:import")).content.decode()
    batch.refresh_from_db()
    assert batch.status == "preview" and batch.payload is not None
    assert not Person.objects.exists()


def test_a_volunteer_without_the_capability_gets_403(network_a, coordinator_a, volunteer_a):
    upload(client_for(coordinator_a), (HEADER + "Ana,413-555-0101,,\n").encode())
    batch = ImportBatch.objects.get()
    client = client_for(volunteer_a)
    assert client.get(reverse("people:import")).status_code == 403
    assert upload(client, (HEADER + "Luis,413-555-0102,,\n").encode()).status_code == 403
    preview = reverse("people:import_preview", kwargs={"pk": batch.pk})
    assert client.get(preview).status_code == 403
    assert client.post(preview, {"action": "import"}).status_code == 403
    assert ImportBatch.objects.count() == 1 and not Person.objects.exists()


def test_two_surnames_and_two_given_names(network_a):
    data = (
        "Primer nombre,Segundo nombre,Apellido paterno,Apellido materno,Celular\n"
        "María,José,Pérez,Gómez,413-555-0101\n"
    ).encode()
    assert fields(read(data)) == ["first_name", "first_name", "last_name", "last_name", "phone"]
    run(network_a, data)
    assert person_with_phone(network_a, "+14135550101").name == "María José Pérez Gómez"


def test_limits_on_rows_columns_and_unpacked_size(monkeypatch):
    monkeypatch.setattr("amparo.people.importing.reading.MAX_ROWS", 3)
    with pytest.raises(ImportFileError, match="more than 3 rows"):
        read((HEADER + "A,4135550101,,\n" * 4).encode())
    read((HEADER + "A,4135550101,,\n" * 3).encode())
    with pytest.raises(ImportFileError, match="more than 50 columns"):
        read((HEADER + "A,4135550101" + ",x" * 60 + "\n").encode())
    workbook = xlsx_bytes([["Name", "Phone"], ["Ana", "4135550101"]])
    monkeypatch.setattr("amparo.people.importing.reading.MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(ImportFileError, match="too large once unpacked"):
        read(workbook, "people.xlsx")


def test_the_same_file_again_is_recognised_and_changes_nothing(network_a, coordinator_a, tmp_path):
    path = write(tmp_path, "lista.csv", GOOD)
    call_command("import_people", str(path), "--network", network_a.slug)
    client = client_for(coordinator_a)
    upload(client, path.read_bytes(), "lista.csv")
    batch = ImportBatch.objects.filter(status="preview").get()
    preview = reverse("people:import_preview", kwargs={"pk": batch.pk})
    page = client.get(preview).content.decode()
    assert "This same file was imported on" in page
    assert "Already in Amparo (same phone or email): new details will be added." in page
    audits = AuditEvent.objects.filter(target_type="people.person").count()
    client.post(preview, {"col-0": "name", "col-1": "phone", "col-2": "email", "col-3": "roles",
                          "col-4": "trained", "col-5": "training_date",
                          "training": "rapid-responder", "action": "import"})  # fmt: skip
    importing.import_batch_work(batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.created_count, batch.updated_count, batch.unchanged_count) == (0, 0, 2)
    assert AuditEvent.objects.filter(target_type="people.person").count() == audits
    assert "Unchanged" in client.get(preview).content.decode()


def test_a_skipped_row_can_be_taken_back(network_a, coordinator_a):
    client = client_for(coordinator_a)
    upload(client, (HEADER + "Ana,not a phone,,\nLuis,413-555-0102,,\n").encode())
    batch = ImportBatch.objects.get()
    preview = reverse("people:import_preview", kwargs={"pk": batch.pk})
    form = {"col-0": "name", "col-1": "phone", "col-2": "email", "col-3": "place"}
    cells = {"cell-0-0": "Ana", "cell-0-1": "not a phone", "cell-0-2": "", "cell-0-3": ""}
    page = client.post(preview, {**form, **cells, "skip-0": "on", "action": "check"}, follow=True)
    assert "Row 2: import it after all" in page.content.decode()
    assert batch.__class__.objects.get().payload["rows"][0]["skip"] is True
    page = client.post(preview, {**form, "unskip-0": "on", "action": "check"}, follow=True)
    assert "1 row with a problem" in page.content.decode()
    client.post(preview, {**form, **cells, "skip_errors": "on", "action": "import"})
    importing.import_batch_work(batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.created_count, batch.skipped_count, batch.error_count) == (1, 1, 1)
