"""Exporting 10,000 people: the file made inside the download's request (the way every
export was made, and small ones still are) against the background way (the worker
makes the sealed file; the download's request only opens it).

Run from the repository root: ``python -m bench.people_export``. Bounded: PEOPLE people
written once through the import's bulk path, then one CSV export each way of the same
people, in one process (the worker's function called in-process). The baseline is a
plain ``csv.writer`` pass over rows of the same shape in the same run. ``request_ratio``
is the background download's request time over the immediate export's: what a person
waits on the click. With ``DATABASE_URL`` set it runs on that PostgreSQL server, in a
throwaway database.
"""

from __future__ import annotations

import csv
import io
import os
import time
from datetime import timedelta

from bench._setup import django_in_tempdir, sqlite_queue

PEOPLE = int(os.environ.get("BENCH_EXPORT_PEOPLE", "10000"))


def _people_csv(people: int) -> bytes:
    lines = ["Nombre;Teléfono;Correo;Idioma"]
    lines += [
        f"Persona {i};(413) 7{i // 10000 % 10}{i // 1000 % 10}-{i % 1000:03d}{i // 100 % 10};"
        f"p{i}@example.org;{'es' if i % 2 else 'en'}"
        for i in range(people)
    ]
    return ("\n".join(lines) + "\n").encode()


def run(people: int = PEOPLE) -> dict[str, float]:
    sqlite_queue()  # the approval only queues the task: the worker's part is timed here
    django_in_tempdir()
    from django.utils import timezone

    from amparo.accounts.services import network_create
    from amparo.people.export_files import export_file_queue, export_file_take, export_file_work
    from amparo.people.exporting import people_export
    from amparo.people.filters import PeopleFilter
    from amparo.people.importing import import_apply, import_check, import_file_read
    from amparo.people.models import ExportRequest

    network = network_create(name="Bench export", slug="bench-export")
    data = _people_csv(people)
    payload = import_file_read(filename="b.csv", stream=io.BytesIO(data), size=len(data))
    import_apply(network=network, check=import_check(network=network, payload=payload))

    start = time.perf_counter()
    immediate = people_export(
        network=network, actor=None, people_filter=PeopleFilter(), file_format="csv"
    )
    immediate_s = time.perf_counter() - start

    request = ExportRequest.objects.create(
        network=network,
        kind="csv",
        count=immediate.rows,
        status=ExportRequest.Status.APPROVED,
        expires_at=timezone.now() + timedelta(hours=1),
    )
    export_file_queue(request)
    start = time.perf_counter()
    export_file_work(request.pk)
    worker_s = time.perf_counter() - start
    request.refresh_from_db()
    assert request.file_state == "ready", request.file_state
    start = time.perf_counter()
    content = export_file_take(request)
    download_s = time.perf_counter() - start
    assert content == immediate.content  # the same file, byte for byte

    rows = [
        [f"Persona {i}", "(413) 555-0100", "", "p@example.org", "Spanish"] for i in range(people)
    ]
    start = time.perf_counter()
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    baseline_s = time.perf_counter() - start
    return {
        "immediate_ms": immediate_s * 1000,
        "worker_ms": worker_s * 1000,
        "download_ms": download_s * 1000,
        "baseline_ms": baseline_s * 1000,
    }


def main() -> None:
    r = run()
    print(
        f"RESULT people_export: people={PEOPLE} "
        f"immediate_request_ms={r['immediate_ms']:.0f} "
        f"background_download_request_ms={r['download_ms']:.1f} "
        f"worker_ms={r['worker_ms']:.0f} "
        f"request_ratio={r['download_ms'] / r['immediate_ms']:.5f} "
        f"worker_vs_immediate={r['worker_ms'] / r['immediate_ms']:.2f} "
        f"immediate_vs_csv_writer={r['immediate_ms'] / max(r['baseline_ms'], 0.001):.0f}"
    )


if __name__ == "__main__":
    main()
