"""Reports: submission throughput and p95 on a real server, merge-suggestion time with
10,000 open reports, and console latency from a submission to the dispatcher's feed.

Run from the repository root: ``python -m bench.reports``. A throwaway SQLite database
(bench/_setup.py), granian on 127.0.0.1 with the deployment's web processes and request
threads (bench._server.WEB_WORKERS, WEB_THREADS; rate limits, the per-source rows, the
network's cap and the flood threshold loosened for this one server: every request comes from one address),
``REPORTS`` public-form posts (env ``BENCH_REPORTS``) from ``THREADS`` threads within ``TIME_LIMIT`` seconds, each solving a proof of work of
``POW_BITS`` bits like pow.js would; every post also times ``GET /healthz`` (the
baseline). Then ``merge_candidate`` is timed with 100 and with 10,000 open reports
(bulk-created, each its own incident near the plant), and ``LATENCY_SAMPLES`` reports
are timed from the POST until the dispatcher's console feed
(``reverse("reports:console_feed")``) lists their incident.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench._server import WEB_THREADS, WEB_WORKERS, Browser, free_port, start_server, wait_ready

REPORTS = int(os.environ.get("BENCH_REPORTS", "600"))
THREADS = int(os.environ.get("BENCH_THREADS", "8"))
POW_BITS = int(os.environ.get("BENCH_POW_BITS", "8"))
TIME_LIMIT = 60.0
LATENCY_SAMPLES = int(os.environ.get("BENCH_LATENCY_SAMPLES", "20"))
MERGE_LARGE = int(os.environ.get("BENCH_MERGE_LARGE", "10000"))
SLUG = "bench-reports"
SERVER_SETTINGS_ENV = "AMPARO_BENCH_REPORTS_SETTINGS"
PLANT = (42.2043, -72.6162)

CHALLENGE = re.compile(r'name="pow_challenge" value="([^"]+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def wsgi_factory() -> Any:
    """granian's application (``--factory``) with limits one loopback address never hits."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amparo.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    for name, value in json.loads(os.environ.get(SERVER_SETTINGS_ENV, "{}")).items():
        setattr(settings, name, value)
    from amparo.core.buffered import BufferedWSGI

    return BufferedWSGI(get_wsgi_application())  # as amparo.asgi serves it


_local = threading.local()


def _request(
    url: str, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, str, float]:
    """(status, body, seconds) through this client thread's browser
    (bench._server.Browser: keep-alive, its cookies); ``url`` on the benchmark's server."""
    _scheme, _sep, rest = url.partition("://")
    netloc, _slash, path = rest.partition("/")
    browser = getattr(_local, "browser", None)
    if browser is None:
        browser = _local.browser = Browser(int(netloc.rsplit(":", 1)[1]))
    status, _location, body, took = browser.request("/" + path, data, headers)
    return status, body, took


def _seed() -> tuple[int, int, str]:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils.module_loading import import_string

    from amparo.accounts.models import Role, User
    from amparo.accounts.roles import sync_default_roles
    from amparo.accounts.services import membership_grant, network_create, user_create
    from amparo.people.services import place_get_or_create
    from amparo.twofactor.session import SESSION_KEY as TWO_FACTOR

    sync_default_roles(Role)
    network = network_create(slug=SLUG, name="Red de Bench")
    place = place_get_or_create(
        network=network, name="Holyoke", latitude=PLANT[0], longitude=PLANT[1]
    )
    user: User = user_create(email="disp@bench.invalid", display_name="D", password="x" * 20)
    membership_grant(user=user, network=network, roles=["dispatcher"])
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    # the backend that loads a session's user (the first one is the lockout guard)
    session[BACKEND_SESSION_KEY] = next(
        path
        for path in settings.AUTHENTICATION_BACKENDS
        if hasattr(import_string(path), "get_user")
    )
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    # a dispatcher who passed the second factor (else the feed sends them to set one up)
    session[TWO_FACTOR] = {"at": int(time.time()), "method": "totp"}
    session.create()
    return network.pk, place.pk, str(session.session_key)


def _post_report(base: str, i: int, place_id: int, deadline: float) -> dict[str, Any]:
    from amparo.people.antiabuse import pow_solve

    if time.monotonic() > deadline:
        return {"ok": False, "skipped": True}
    url = f"{base}/report/{SLUG}/"
    status, page, _t = _request(url)
    challenge, csrf = CHALLENGE.search(page), CSRF.search(page)
    if status != 200 or challenge is None or csrf is None:
        return {"ok": False, "status": status}
    fields = {
        "csrfmiddlewaretoken": csrf.group(1),
        "pow_challenge": challenge.group(1),
        "pow_nonce": pow_solve(challenge=challenge.group(1), bits=POW_BITS),
        "activity": f"agents at the gate {i}",
        "place": str(place_id),
        "where": "Main St plant",
        "size": "3-5",
        "uniform": "ICE",
        "time": "now",
    }
    status, _b, post_s = _request(url, urllib.parse.urlencode(fields).encode())
    _s, _hb, healthz_s = _request(f"{base}/healthz")
    return {"ok": status == 302, "status": status, "post": post_s, "hz": healthz_s}


def _merge_timing(network_id: int, open_reports: int) -> float:
    """Median seconds of merge_candidate with ``open_reports`` open incidents nearby."""
    import random

    from django.utils import timezone

    from amparo.lib import geo
    from amparo.reports.models import Incident, Report
    from amparo.reports.services import merge_candidate

    Network = Incident._meta.get_field("network").related_model
    network = Network.objects.get(pk=network_id)
    Report.objects.filter(network=network).delete()
    Incident.objects.filter(network=network).delete()
    now = timezone.now()
    rng = random.Random(5)
    incidents = []
    for _ in range(open_reports):
        lat, lng = PLANT[0] + rng.uniform(-0.3, 0.3), PLANT[1] + rng.uniform(-0.3, 0.3)
        incidents.append(
            Incident(
                network=network,
                point={"lat": lat, "lng": lng},
                cell=geo.cell_for(lat, lng),
                first_report_at=now - timedelta(minutes=rng.uniform(0, 100)),
                last_report_at=now - timedelta(minutes=rng.uniform(0, 100)),
                report_count=1,
                source_count=1,
            )
        )
    created = Incident.objects.bulk_create(incidents, batch_size=1000)
    Report.objects.bulk_create(
        [
            Report(
                network=network,
                source="web",
                details={"activity": "x"},
                incident=inc,
                cell=inc.cell,
                received_at=inc.last_report_at,
            )
            for inc in created
        ],
        batch_size=1000,
    )
    times = []
    for _ in range(50):
        lat, lng = PLANT[0] + rng.uniform(-0.3, 0.3), PLANT[1] + rng.uniform(-0.3, 0.3)
        start = time.perf_counter()
        merge_candidate(
            network=network, cell=geo.cell_for(lat, lng), point={"lat": lat, "lng": lng}, at=now
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _console_latency(base: str, place_id: int, session_key: str) -> tuple[list[float], str]:
    """Seconds from posting a report until the console feed shows its incident."""
    from django.conf import settings
    from django.urls import reverse

    from amparo.people.antiabuse import pow_solve
    from amparo.reports.models import Report

    feed = f"{base}{reverse('reports:console_feed')}"
    cookie = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}"}
    status, _b, _t = _request(feed, headers=cookie)
    how = "console feed" if status == 200 else f"database (feed answered {status})"
    samples = []
    url = f"{base}/report/{SLUG}/"
    for i in range(LATENCY_SAMPLES):
        _s, page, _t = _request(url)
        challenge, csrf = CHALLENGE.search(page), CSRF.search(page)
        assert challenge and csrf
        fields = {
            "csrfmiddlewaretoken": csrf.group(1),
            "pow_challenge": challenge.group(1),
            "pow_nonce": pow_solve(challenge=challenge.group(1), bits=POW_BITS),
            "activity": f"latency {i}",
            "place": str(place_id),
            "time": "now",
        }
        before = Report.objects.order_by("-id").values_list("id", flat=True).first() or 0
        start = time.perf_counter()
        _request(url, urllib.parse.urlencode(fields).encode())
        while time.perf_counter() - start < 10:
            report = Report.objects.filter(id__gt=before, network__slug=SLUG).first()
            if report is not None and report.incident_id:
                if status != 200:
                    break
                _s2, body, _t2 = _request(feed, headers=cookie)
                if re.search(rf'"id":\s*{report.incident_id}\b', body):
                    break
            time.sleep(0.02)
        samples.append(time.perf_counter() - start)
    return samples, how


AIM_P95_MS = 150.0  # issue 16: p95 of the public report POST, 8 concurrent clients


def run() -> dict[str, Any]:
    from bench._setup import database_label, django_in_tempdir, sqlite_queue

    sqlite_queue()  # background work is enqueued, as in a deployment
    data_dir = django_in_tempdir()
    server: subprocess.Popen[bytes] | None = None
    try:
        network_id, place_id, session_key = _seed()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        unlimited = [[1_000_000, 600]]
        log_path = Path(data_dir) / "granian.log"
        server = start_server(
            port,
            workers=WEB_WORKERS,
            threads=WEB_THREADS,  # the deployment's request threads, not one per client
            log_path=log_path,
            app="bench.reports:wsgi_factory",
            factory=True,
            env_extra={
                SERVER_SETTINGS_ENV: json.dumps(
                    {
                        "REPORT_RATE_LIMITS": unlimited,
                        "REPORT_NOJS_RATE_LIMITS": unlimited,
                        # 8 people on their phones, not one source: every post is a
                        # new report (not added to the source's last one), never capped
                        "REPORT_SOURCE_ROWS": [1_000_000, 3600],
                        "REPORT_PUBLIC_CAP": [1_000_000, 3600],
                        "REPORT_FLOOD_THRESHOLD": [1_000_000, 600],  # bench.report_flood's
                        "SIGNUP_POW_BITS": POW_BITS,
                    }
                )
            },
        )
        wait_ready(port, server)
        for _ in range(10):
            _request(f"{base}/report/{SLUG}/")
            _request(f"{base}/healthz")
        start = time.monotonic()
        deadline = start + TIME_LIMIT
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            results = list(
                pool.map(lambda i: _post_report(base, i, place_id, deadline), range(REPORTS))
            )
        elapsed = time.monotonic() - start
        ok = [r for r in results if r["ok"]]
        failed = [r for r in results if not r["ok"] and not r.get("skipped")]
        if failed:
            print(f"{len(failed)} reports failed, first: {failed[0]}", file=sys.stderr)
            print(log_path.read_text(errors="replace")[-2000:], file=sys.stderr)
        posts = sorted(r["post"] for r in ok)
        healthz = sorted(r["hz"] for r in ok)
        latency, how = _console_latency(base, place_id, session_key)
        server.terminate()
        server.wait(timeout=15)
        merge_100 = _merge_timing(network_id, 100)
        merge_10k = _merge_timing(network_id, MERGE_LARGE)

        def p95(values: list[float]) -> float:
            return statistics.quantiles(values, n=20)[18] if len(values) >= 20 else float("nan")

        return {
            "reports": len(ok),
            "wanted": REPORTS,
            "failed": len(failed),
            "seconds": elapsed,
            "per_second": len(ok) / elapsed if elapsed else 0.0,
            "post_median_ms": statistics.median(posts) * 1e3 if posts else float("nan"),
            "post_p95_ms": p95(posts) * 1e3,
            "healthz_median_ms": statistics.median(healthz) * 1e3 if healthz else float("nan"),
            "healthz_p95_ms": p95(healthz) * 1e3,
            "merge_100_ms": merge_100 * 1e3,
            "merge_10k_ms": merge_10k * 1e3,
            "console_median_ms": statistics.median(latency) * 1e3,
            "console_max_ms": max(latency) * 1e3,
            "console_how": how,
            "database": database_label(),
        }
    finally:
        if server is not None and server.poll() is None:
            server.kill()
            server.wait(timeout=5)


def main() -> None:
    r = run()
    ok = (
        r["reports"] == r["wanted"]
        and r["failed"] == 0
        and r["seconds"] <= TIME_LIMIT
        and r["post_p95_ms"] <= AIM_P95_MS
    )
    print(
        f"reports saved        : {r['reports']} of {r['wanted']} in {r['seconds']:.1f} s "
        f"({r['per_second']:.0f}/s, {THREADS} client threads, {WEB_WORKERS} server processes, "
        f"proof of work {POW_BITS} bits)"
    )
    print(
        f"POST /report/{SLUG}/ : median {r['post_median_ms']:.1f} ms, "
        f"p95 {r['post_p95_ms']:.1f} ms (aim <= {AIM_P95_MS:.0f}), {r['database']}"
    )
    print(
        f"GET  /healthz        : median {r['healthz_median_ms']:.1f} ms, "
        f"p95 {r['healthz_p95_ms']:.1f} ms (baseline, same load)"
    )
    print(
        f"merge_candidate      : {r['merge_10k_ms']:.2f} ms with 10,000 open reports, "
        f"{r['merge_100_ms']:.2f} ms with 100 (baseline)"
    )
    print(
        f"submission → console : median {r['console_median_ms']:.0f} ms, "
        f"max {r['console_max_ms']:.0f} ms (seen in the {r['console_how']})"
    )
    print(
        f"RESULT reports: ok={'yes' if ok else 'no'} db={r['database']} "
        f"p95_ms={r['post_p95_ms']:.1f} aim_p95_ms_max={AIM_P95_MS:.0f} reports={r['reports']} "
        f"per_second={r['per_second']:.0f} "
        f"healthz_ms={r['healthz_median_ms']:.2f} merge_10k_ms={r['merge_10k_ms']:.2f} "
        f"merge_100_ms={r['merge_100_ms']:.2f} console_ms={r['console_median_ms']:.0f}"
    )


if __name__ == "__main__":
    main()
