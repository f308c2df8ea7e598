"""Every benchmark in bench/ runs in the suite at a tiny size, so a change that breaks
one fails CI (issue 16: ``bench.alerts_click`` had rotted unnoticed). No timing is
asserted — speed targets live in the benchmarks — only that each runs to the end and
prints its ``RESULT <name>:`` line. With ``DATABASE_URL`` set (the PostgreSQL run of
CI) each benchmark runs on a throwaway database on that server (bench/_setup.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"

#: Each benchmark's tiny size (its BENCH_* variables).
TINY: dict[str, dict[str, str]] = {
    "alerts": {
        "BENCH_RECIPIENTS": "40",
        "BENCH_RATE": "200",
        "BENCH_CLICK_ROUNDS": "2",
        "BENCH_CLICK_PEOPLE": "30",
        "BENCH_ALERTS_MEDIUM": "200",
        "BENCH_ALERTS_LARGE": "1200",
    },
    "alerts_click": {"BENCH_CLICK_ROUNDS": "2", "BENCH_CLICK_PEOPLE": "30"},
    "alerts_fanout": {"BENCH_RECIPIENTS": "40", "BENCH_RATE": "200"},
    "alerts_plan": {
        "BENCH_ALERTS_SMALL": "60",
        "BENCH_ALERTS_MEDIUM": "80",
        "BENCH_ALERTS_LARGE": "150",
    },
    "hotline_webhook": {
        "BENCH_REQUESTS": "30",
        "BENCH_THREADS": "2",
        "BENCH_WEB_WORKERS": "1",
        "BENCH_PACED_RATE": "20",
        "BENCH_PACED_SECONDS": "1",
    },
    "people": {
        "BENCH_PEOPLE_SMALL": "40",
        "BENCH_PEOPLE_LARGE": "120",
        "BENCH_PEOPLE_ROUNDS": "2",
        "BENCH_IMPORT_ROWS": "50",
        "BENCH_SIGNUPS": "10",
        "BENCH_THREADS": "2",
        "BENCH_WEB_WORKERS": "1",
        "BENCH_POW_BITS": "1",
    },
    "people_export": {"BENCH_EXPORT_PEOPLE": "60"},
    "people_import": {"BENCH_IMPORT_ROWS": "50"},
    "people_signup": {
        "BENCH_SIGNUPS": "10",
        "BENCH_THREADS": "2",
        "BENCH_WEB_WORKERS": "1",
        "BENCH_POW_BITS": "1",
    },
    "slow_clients": {
        "BENCH_STALLED": "10",
        "BENCH_SLOW_HEADERS": "10",
        "BENCH_ADDRESSES": "4",
        "BENCH_THREADS": "2",
        "BENCH_ATTACK_SECONDS": "1",
    },
    "reports": {
        "BENCH_REPORTS": "10",
        "BENCH_THREADS": "2",
        "BENCH_WEB_WORKERS": "1",
        "BENCH_POW_BITS": "1",
        "BENCH_LATENCY_SAMPLES": "2",
        "BENCH_MERGE_LARGE": "200",
    },
}
#: The figures issue 16 set aims for: each RESULT line prints the figure beside its aim.
AIMS: dict[str, tuple[str, ...]] = {
    "alerts_plan": ("nearest50_100k_ms=", "aim_nearest50_100k_ms="),
    "people": (
        "page_ratio=",
        "count_cold_ratio=",
        "aim_count_cold_ratio=",
        "aim_count_warm_ratio=",
    ),
    "people_import": (
        "import_rows_per_s=",
        "aim_rows_per_s",
        "max_lock_ms=",
        "aim_max_lock_ms",
        "fanout_ratio_during_import=",
        "aim_fanout_ratio",
    ),
    "hotline_webhook": ("ratio=", "aim_ratio_min=", "paced_p99_ms=", "aim_paced_p99_ms_max="),
    "reports": ("p95_ms=", "aim_p95_ms_max="),
    "people_signup": ("p95_ms=", "aim_p95_ms_max="),
}
#: Benchmarks whose tiny run lives next to the code they measure.
ELSEWHERE = {
    "page_view": "amparo/core/tests/test_pages.py",
    "report_flood": "amparo/reports/tests/test_flood.py",
}


def _benchmarks() -> set[str]:
    return {p.stem for p in BENCH.glob("*.py") if not p.stem.startswith("_")}


def test_every_benchmark_has_a_smoke_run() -> None:
    assert _benchmarks() == set(TINY) | set(ELSEWHERE), "give the new benchmark a tiny size"
    for name, path in ELSEWHERE.items():
        assert f"bench.{name}" in (REPO / path).read_text(), (name, path)


@pytest.mark.parametrize("name", sorted(TINY))
def test_the_benchmark_runs_at_a_tiny_size(name: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AMPARO_", "BENCH_"))}
    env.update(TINY[name])
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", f"bench.{name}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith(f"RESULT {name}: "), last
    for key in AIMS.get(name, ()):
        assert key in last, (key, last)
