"""A flood spread over many addresses (issue 13.3, "Done when"): 2,000 reports with
solved proofs of work from 2,000 distinct addresses with varied text, a genuine report
by text from a member's phone and one from the hotline in the middle. The genuine pair
is on the console's first screen as a dispatcher sees it, nobody is paged, and the
stored rows stay under the stated bound (flood.py: REPORT_PUBLIC_CAP per window).

Every post goes through the real view (the challenge issued and solved as pow.js
would, at the difficulty the form asks at that moment); the driver is the benchmark's
(bench/report_flood.py, the full-size run). The cap is lowered here so fewer rows are
written; the bound is read from the same settings. About 30 s on the shared machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from amparo.alerts.models import Alert
from amparo.channels.models import Delivery
from amparo.reports.flood import flood_active
from amparo.reports.models import Report, VerificationRequest
from bench.report_flood import (
    FIRST_SCREEN,
    bound,
    dispatcher_console,
    flood_posts,
    genuine_reports,
    stored,
    towns,
)

POSTS = 2_000
REPO = Path(__file__).resolve().parents[3]


@pytest.mark.django_db
def test_a_distributed_flood_buries_nothing_pages_nobody_and_stays_bounded(network_a, settings):
    settings.SIGNUP_POW_BITS = 1  # low in the suite (+4 bits during the flood)
    settings.REPORT_FLOOD_THRESHOLD = (50, 600)
    settings.REPORT_PUBLIC_CAP = (120, 3600)
    places = towns(network_a)

    codes = flood_posts(network=network_a, places=places, count=POSTS // 2)
    assert flood_active(network=network_a)  # the form asks more work meanwhile
    genuine = genuine_reports(network=network_a, places=places)
    codes += flood_posts(network=network_a, places=places, count=POSTS // 2, first=POSTS)

    # Every post was answered: kept, or told to wait (the page names the hotline).
    assert set(codes) <= {302, 429} and sum(codes.values()) == POSTS
    assert codes[302] <= settings.REPORT_PUBLIC_CAP[0] < codes[429]
    # The stored rows stay under the stated bound.
    counts, limit = stored(network_a), bound(network_a, known=2)
    assert all(counts[k] <= limit[k] for k in counts), (counts, limit)
    assert Report.objects.filter(network=network_a, known=True).count() == 2
    # Nobody was paged: the member got their own "received" reply, nothing else went out.
    assert list(Delivery.objects.values_list("purpose", flat=True)) == ["reply"]
    assert not Alert.objects.exists() and not VerificationRequest.objects.exists()
    # The genuine pair is on the console's first screen; the flood is one folded group.
    rows, page, _seconds = dispatcher_console(network_a)
    first_screen = rows[:FIRST_SCREEN]
    assert genuine.member_incident in first_screen and genuine.hotline_incident in first_screen
    assert "unconfirmed single reports from the public" in page


def test_the_flood_benchmark_runs_and_prints_its_result_line():
    """A tiny run of the full-size benchmark (``python -m bench.report_flood``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMPARO_")}
    env.update(BENCH_FLOOD_POSTS="40", BENCH_FLOOD_BASELINE="5")
    result = subprocess.run(
        [sys.executable, "-m", "bench.report_flood"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("RESULT report_flood: ok=yes posts=40 genuine_top=yes paged=0")
