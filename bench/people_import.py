"""Importing a 10,000-row CSV of people, against a plain ``csv.reader`` pass over it.

Run from the repository root: ``python -m bench.people_import``. ``run()`` is also
called by ``bench.people``. Bounded: one file of ROWS rows (a tenth of them people
already in the database, a twentieth repeated within the file), read, checked and
imported once through the same services as the web page and the command, in one
process (the worker's function called in-process); the baseline reads the same file
with ``csv.reader`` in the same run. ``max_lock_ms`` is the longest transaction of one
chunk: on SQLite (transactions begin IMMEDIATE) that is how long the write lock is held.
With ``DATABASE_URL`` set it runs on that PostgreSQL server, in a throwaway database.
"""

from __future__ import annotations

import csv
import io
import os
import random
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench._setup import django_in_tempdir

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "10000"))
AIM_ROWS_PER_S = 2_000  # issue 16
AIM_LOCK_MS = 250  # never hold the write lock longer than this at a time
TOWNS = ["Northampton", "Holyoke", "Amherst", "Springfield", "Easthampton"]
ROLES = ["member", "driver", "rapid-responder", "interpreter", ""]


def _write_csv(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(
            ["Nombre", "Apellidos", "Teléfono", "Correo", "Idioma", "Pueblo", "Rol", "Notas"]
        )
        for i in range(rows):
            n = i if rng.random() > 0.05 else max(0, i - 7)  # some people twice
            writer.writerow(
                [
                    rng.choice(["Ana", "Luis", "María", "José", "Rosa", "Juan"]),
                    f"Pérez {n}",
                    f"(413) 6{n // 10000 % 10}{n // 1000 % 10}-{n % 1000:03d}{n // 100 % 10}",
                    f"p{n}@example.org" if n % 3 else "",
                    rng.choice(["es", "en", "Español", "inglés"]),
                    rng.choice(TOWNS),
                    rng.choice(ROLES),
                    "llega tarde" if n % 11 == 0 else "",
                ]
            )


def _baseline(path: Path, rows: int) -> float:
    start = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as f:
        count = sum(1 for _row in csv.reader(f, delimiter=";"))
    elapsed = time.perf_counter() - start
    assert count == rows + 1
    return elapsed


def run(rows: int = ROWS) -> dict[str, float]:
    """Import a generated CSV of ``rows`` people as the page does (upload sealed in a
    batch, checked, then written in chunks by the worker's function, here in-process);
    returns rows per second, import and baseline, the parts of the import, and the
    longest time one chunk held the write lock."""
    django_in_tempdir()
    from amparo.accounts.services import network_create
    from amparo.people.importing import (
        import_batch_check,
        import_batch_create,
        import_batch_start,
        import_batch_work,
    )
    from amparo.people.models import ImportBatch
    from amparo.people.services import PersonData, person_upsert, place_get_or_create

    network = network_create(slug=f"bench-import-{uuid.uuid4().hex[:8]}", name="Bench import")
    for k, town in enumerate(TOWNS):
        place_get_or_create(
            network=network, name=town, latitude=42.1 + k / 10, longitude=-72.6 + k / 10
        )
    with tempfile.TemporaryDirectory(prefix="amparo-bench-import-") as tmp:
        path = Path(tmp) / "people.csv"
        _write_csv(path, rows)
        for n in range(0, rows, 10):  # a tenth already known: matched, not duplicated
            person_upsert(
                network=network,
                data=PersonData(
                    name=f"Conocida {n}",
                    phones=[
                        f"+14136{n // 10000 % 10}{n // 1000 % 10}{n % 1000:03d}{n // 100 % 10}"
                    ],
                ),
            )
        baseline = _baseline(path, rows)

        start = time.perf_counter()
        data = path.read_bytes()
        batch = import_batch_create(
            network=network, actor=None, filename=path.name, stream=io.BytesIO(data), size=len(data)
        )
        read = time.perf_counter()
        check = import_batch_check(batch=batch)  # the preview page
        checked = time.perf_counter()
        import_batch_start(batch=batch, skip_errors=True, enqueue=False, check=check)
        stats = import_batch_work(batch_id=batch.pk)
        done = time.perf_counter()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.IMPORTED, batch.status
    assert batch.row_count == rows and batch.error_count == 0 and batch.payload is None
    merged = rows - batch.created_count - batch.updated_count - batch.unchanged_count
    return {
        "import_rows_per_s": rows / (done - start),
        "baseline_rows_per_s": rows / baseline,
        "read_rows_per_s": rows / (read - start),
        "check_rows_per_s": rows / (checked - read),
        "write_rows_per_s": rows / (done - checked),
        "max_lock_ms": stats.max_lock_s * 1000,
        "chunks": float(stats.chunks),
        "created": float(batch.created_count),
        "updated": float(batch.updated_count),
        "merged": float(merged),
    }


FANOUT_RECIPIENTS = 300
AIM_FANOUT_RATIO = 1.10  # the fan-out bench's aim: total time / the provider's minimum


def _fanout(network: Any) -> tuple[float, int]:
    """An alert to FANOUT_RECIPIENTS people on the sandbox channel at its own rate, written
    and drained until every delivery has an outcome: (time over the rate's minimum,
    deliveries not sent)."""
    from amparo.alerts import outbox
    from amparo.alerts.tests.test_outbox import make_alert, make_people
    from amparo.channels import outbox as engine
    from amparo.channels.models import Delivery

    people = make_people(network, FANOUT_RECIPIENTS)
    alert, rows = make_alert(network, people)
    start = time.perf_counter()
    outbox.alert_rows_write(alert=alert, rows=rows)
    deadline = start + 60
    while time.perf_counter() < deadline:
        engine.outbox_drain(sender="sandbox")
        if not Delivery.objects.filter(alert=alert, status__in=["queued", "sending"]).exists():
            break
    minimum = FANOUT_RECIPIENTS / engine.rate_for("sandbox")
    return (time.perf_counter() - start) / minimum, Delivery.objects.filter(alert=alert).exclude(
        status="sent"
    ).count()


def run_with_alert(rows: int = ROWS) -> dict[str, float]:
    """The fan-out of an alert alone, then the same fan-out while an import of ``rows``
    is written by another thread (the worker): each one's ratio, and how many
    deliveries were not sent (a "database is locked" would show here). Each fan-out is
    paced at the sandbox's own rate, so its ratio is the fan-out bench's figure."""
    import threading

    from django.db import connections

    from amparo.accounts.services import network_create
    from amparo.people.importing import (
        import_batch_create,
        import_batch_start,
        import_batch_work,
    )
    from amparo.people.models import ImportBatch
    from amparo.people.services import place_get_or_create

    network = network_create(slug=f"bench-alert-{uuid.uuid4().hex[:8]}", name="Bench alert")
    for k, town in enumerate(TOWNS):
        place_get_or_create(network=network, name=town, latitude=42.1 + k / 10, longitude=-72.6)
    alone, failed_alone = _fanout(network)
    with tempfile.TemporaryDirectory(prefix="amparo-bench-import-") as tmp:
        path = Path(tmp) / "people.csv"
        _write_csv(path, rows, seed=11)
        data = path.read_bytes()
    batch = import_batch_create(
        network=network, actor=None, filename="p.csv", stream=io.BytesIO(data), size=len(data)
    )
    import_batch_start(batch=batch, skip_errors=True, enqueue=False)
    stats: list[Any] = []

    def work() -> None:
        try:
            stats.append(import_batch_work(batch_id=batch.pk))
        finally:
            connections.close_all()

    worker = threading.Thread(target=work)
    worker.start()
    while ImportBatch.objects.get(pk=batch.pk).cursor == 0 and worker.is_alive():
        time.sleep(0.01)
    during, failed_during = _fanout(network)
    running = ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.RUNNING
    worker.join(timeout=600)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.IMPORTED, batch.status
    return {
        "fanout_ratio_alone": alone,
        "fanout_ratio_during_import": during,
        "fanout_not_sent": float(failed_alone + failed_during),
        "import_still_running_after_fanout": float(running),
        "max_lock_ms_with_alert": stats[0].max_lock_s * 1000 if stats else -1.0,
    }


def main() -> None:
    django_in_tempdir()  # removed at exit
    figures = run()
    figures.update(run_with_alert())
    print(f"rows                 : {ROWS}")
    for key, value in figures.items():
        print(f"{key:<21}: {value:,.1f}")
    ratio = figures["baseline_rows_per_s"] / figures["import_rows_per_s"]
    print(f"import is {ratio:,.0f}x slower than reading the CSV alone")
    print(
        f"RESULT people_import: import_rows_per_s={figures['import_rows_per_s']:.1f} "
        f"aim_rows_per_s>={AIM_ROWS_PER_S} "
        f"max_lock_ms={figures['max_lock_ms']:.1f} aim_max_lock_ms<={AIM_LOCK_MS} "
        f"baseline_rows_per_s={figures['baseline_rows_per_s']:.1f} "
        f"baseline_over_import={ratio:.1f} rows={ROWS} "
        f"fanout_ratio_during_import={figures['fanout_ratio_during_import']:.2f} "
        f"aim_fanout_ratio<={AIM_FANOUT_RATIO} "
        f"fanout_ratio_alone={figures['fanout_ratio_alone']:.2f} "
        f"fanout_not_sent={figures['fanout_not_sent']:.0f} database={_vendor()}"
    )


def _vendor() -> str:
    from django.db import connection

    return connection.vendor


if __name__ == "__main__":
    main()
