"""Importing a 10,000-row CSV of people, against a plain ``csv.reader`` pass over it.

Run from the repository root: ``python -m bench.people_import``. ``run()`` is also
called by ``bench.people``. Bounded: one file of ROWS rows (a tenth of them people
already in the database, a twentieth repeated within the file), read, checked and
imported once through the same services as the web page and the command, in one
process; the baseline reads the same file with ``csv.reader`` in the same run.
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

from bench._setup import django_in_tempdir

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "10000"))
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
    """Import a generated CSV of ``rows`` people; returns rows per second, import and
    baseline (and the parts of the import)."""
    django_in_tempdir()
    from amparo.accounts.services import network_create
    from amparo.people.importing import import_apply, import_check, import_file_read
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
        payload = import_file_read(filename=path.name, stream=io.BytesIO(data), size=len(data))
        read = time.perf_counter()
        check = import_check(network=network, payload=payload)
        checked = time.perf_counter()
        outcome = import_apply(network=network, check=check, skip_errors=True)
        done = time.perf_counter()
    assert outcome.rows == rows and outcome.errors == 0, outcome
    return {
        "import_rows_per_s": rows / (done - start),
        "baseline_rows_per_s": rows / baseline,
        "read_rows_per_s": rows / (read - start),
        "check_rows_per_s": rows / (checked - read),
        "write_rows_per_s": rows / (done - checked),
        "created": float(outcome.created),
        "updated": float(outcome.updated),
        "merged": float(outcome.merged),
    }


def main() -> None:
    django_in_tempdir()  # removed at exit
    figures = run()
    print(f"rows                 : {ROWS}")
    for key, value in figures.items():
        print(f"{key:<21}: {value:,.1f}")
    ratio = figures["baseline_rows_per_s"] / figures["import_rows_per_s"]
    print(f"import is {ratio:,.0f}x slower than reading the CSV alone")
    print(
        f"RESULT people_import: import_rows_per_s={figures['import_rows_per_s']:.1f} "
        f"baseline_rows_per_s={figures['baseline_rows_per_s']:.1f} "
        f"baseline_over_import={ratio:.1f} rows={ROWS}"
    )


if __name__ == "__main__":
    main()
