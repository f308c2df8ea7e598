"""All the alert benchmarks in one run: ``python -m bench.alerts``.

One throwaway SQLite database, one fake Twilio on loopback (``bench.alerts_fanout``),
a SQLite huey queue (the click bench runs a real consumer on it), then:

1. ``bench.alerts_fanout`` — 2,000 recipients at 100/s: ratio to the physical minimum
   (aim ≤ 1.10), tier-order inversions (must be 0), and the naive loop;
2. ``bench.alerts_click`` — the dispatcher's click to the first provider request of
   tier 1: p95 (aim ≤ 1 s on SQLite);
3. ``bench.alerts_plan`` — audience planning over 2,000 (aim ≤ 1 s) and 100,000 people
   (aim ≤ 5 s), nearest 50 among 100,000 (aim ≤ 5 ms).

Each prints its own figures; the last line is
``RESULT alerts: ratio=… inversions=… click_p95_ms=… plan_2k_s=… plan_100k_s=… …``.
The benches' BENCH_* variables apply (see each module).
"""

from __future__ import annotations

import logging
import time

from bench import alerts_click, alerts_fanout, alerts_plan
from bench._setup import django_in_tempdir

KEYS = (
    "ratio",
    "inversions",
    "click_p95_ms",
    "plan_2k_s",
    "plan_100k_s",
    "nearest50_100k_ms",
    "nearest50_100k_cpu_ms",
    "click_median_ms",
    "naive_ratio",
    "vs_naive",
    "refused",
    "delivered",
    "click_missed",
    "plan_1k_s",
    "nearest50_1k_ms",
    "nearest50_2k_ms",
    "plan_ratio_100k_1k",
)


def main() -> None:
    logging.getLogger("twilio").setLevel(logging.WARNING)
    logging.getLogger("huey").setLevel(logging.WARNING)
    started = time.monotonic()
    figures: dict[str, float] = {}
    with alerts_fanout.fake_twilio() as fake:
        alerts_fanout.environment(fake.base)
        alerts_click.use_sqlite_huey()
        django_in_tempdir()
        print("== fan-out")
        figures.update(alerts_fanout.run(fake))
        print("== click to first request")
        click = alerts_click.run(fake)
        alerts_click.report(click)
        figures.update(click)
    print("== planning")
    figures.update(alerts_plan.run())
    pairs = " ".join(f"{k}={figures[k]:.3f}" for k in KEYS if k in figures)
    print(f"total {time.monotonic() - started:.0f} s")
    print(f"RESULT alerts: {pairs}")


if __name__ == "__main__":
    main()
