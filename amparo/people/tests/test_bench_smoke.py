"""Smoke runs of the benchmarks for nearest responders and people counts (tiny sizes,
no timing asserted): a change that breaks one fails here, not on the next full run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def _run(module: str, **sizes: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AMPARO_", "DATABASE_URL"))}
    env.update(sizes)
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", module],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("module", "sizes", "keys"),
    [
        (
            "bench.alerts_plan",
            {"BENCH_ALERTS_SMALL": "60", "BENCH_ALERTS_MEDIUM": "80", "BENCH_ALERTS_LARGE": "150"},
            ["nearest50_100k_ms=", "aim_nearest50_100k_ms=5.000"],
        ),
        (
            "bench.people",
            {
                "BENCH_PEOPLE_SMALL": "40",
                "BENCH_PEOPLE_LARGE": "120",
                "BENCH_PEOPLE_ROUNDS": "2",
                "BENCH_PEOPLE_ONLY": "list",
            },
            ["page_ratio=", "count_cold_ratio=", "aim_count_cold_ratio=3.00"],
        ),
    ],
)
def test_the_benchmark_runs_and_prints_its_result_with_its_aim(module, sizes, keys) -> None:
    last = _run(module, **sizes)
    assert last.startswith(f"RESULT {module.split('.')[1]}:")
    for key in keys:
        assert key in last
