"""A distributed flood of the public report form (issue 13.3): many reports with solved
proofs of work, each from its own address, with varied text; a member's text and a
hotline report in the middle. Is the genuine pair on the console's first screen, was
anybody paged, and how many rows did the flood leave?

Run from the repository root: ``python -m bench.report_flood``. A throwaway SQLite
database (bench/_setup.py); the posts go through the real view with Django's test
client in this process (each with its own ``REMOTE_ADDR``, its challenge issued and
solved as pow.js would, at the difficulty the form asks at that moment: it rises
during the flood). ``BENCH_FLOOD_POSTS`` posts (default 10,000), the proof of work
at ``BENCH_FLOOD_POW_BITS`` (default 4; +4 during the flood). The baseline, in the same
process: ``BASELINE`` posts to a quiet second network (no flood), and its console.

The suite's flood test (amparo/reports/tests/test_flood.py) uses the same driver.
"""

from __future__ import annotations

import os
import random
import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

POSTS = int(os.environ.get("BENCH_FLOOD_POSTS", "10000"))
POW_BITS = int(os.environ.get("BENCH_FLOOD_POW_BITS", "4"))
BASELINE = int(os.environ.get("BENCH_FLOOD_BASELINE", "100"))
#: the rows of the console a dispatcher sees without scrolling: on a laptop (1280×800)
#: about three fit under the tools and the map
FIRST_SCREEN = 3
TOWNS = [
    ("Holyoke", 42.2043, -72.6162),
    ("Chicopee", 42.1487, -72.6079),
    ("Springfield", 42.1015, -72.5898),
    ("Northampton", 42.3251, -72.6412),
    ("Amherst", 42.3732, -72.5199),
    ("Westfield", 42.1251, -72.7495),
    ("Greenfield", 42.5876, -72.5995),
    ("Palmer", 42.1584, -72.3287),
]
WORDS = [
    "ICE",
    "agents",
    "vans",
    "gate",
    "plant",
    "raid",
    "migra",
    "camionetas",
    "agentes",
    "puerta",
    "fábrica",
    "helicopter",
    "checkpoint",
    "bus",
    "warehouse",
    "farm",
    "kitchen",
    "sirens",
    "uniforms",
]
INCIDENT_ROW = re.compile(r'<li class="incident[^"]*" data-id="(\d+)"')


def address(i: int) -> str:
    """The i-th flooder's own address (10.0.0.0/8 has 16 million)."""
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


def towns(network: Any) -> list[Any]:
    from amparo.people.services import place_get_or_create

    return [
        place_get_or_create(network=network, name=name, latitude=lat, longitude=lng)
        for name, lat, lng in TOWNS
    ]


def flood_posts(*, network: Any, places: list[Any], count: int, first: int = 0) -> Counter[int]:
    """``count`` posts of the public form, each from its own address, with varied text
    and a proof of work solved at the difficulty the form asks now. Status codes."""
    from django.test import Client
    from django.urls import reverse

    from amparo.people import antiabuse
    from amparo.reports.flood import report_pow_bits

    client = Client()
    url = reverse("report_form", kwargs={"network": network.slug})
    rng = random.Random(first)
    codes: Counter[int] = Counter()
    for i in range(first, first + count):
        bits = report_pow_bits(network=network)  # what the page would ask right now
        challenge = antiabuse.challenge_issue(network=network, bits=bits)
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))
        response = client.post(
            url,
            {
                "pow_challenge": challenge,
                "pow_nonce": antiabuse.pow_solve(challenge=challenge, bits=bits),
                "activity": f"{words} {i}",
                "place": rng.choice(places).pk,
                "where": f"{rng.randint(1, 999)} {rng.choice(WORDS)} St",
                "time": "now",
            },
            REMOTE_ADDR=address(i),
        )
        codes[response.status_code] += 1
    return codes


@dataclass
class Genuine:
    member_incident: int
    hotline_incident: int
    member_phone: str


def genuine_reports(*, network: Any, places: list[Any]) -> Genuine:
    """A member texts REPORTE from their own phone (through the inbound handler table),
    and the hotline takes a call about another raid."""
    from amparo.accounts.models import User
    from amparo.accounts.services import membership_grant, user_create
    from amparo.channels.services import inbound_receive
    from amparo.hotline.intake import intake_finish, intake_start
    from amparo.people.services import PersonData, person_upsert
    from amparo.reports.models import Report

    phone = "+14135550999"
    person_upsert(
        network=network,
        data=PersonData(
            name="Miembro", phones=[phone], language="es", roles=["member"], status="active"
        ),
    )
    message = inbound_receive(
        network=network,
        channel="sandbox",
        from_address=phone,
        body="REPORTE migra en la planta de Chicopee, 3 camionetas",
    )
    member = Report.objects.get(inbound=message)
    hotline: User = user_create(
        email=f"hotline-{network.pk}@bench.invalid", display_name="H", password="x" * 20
    )
    membership_grant(user=hotline, network=network, roles=["hotline"])
    intake = intake_start(network=network, responder=hotline, situation="raid_now", language="es")
    intake_finish(
        intake=intake,
        actor=hotline,
        outcome="raid_report",
        answers={"where": "Springfield, the warehouse on Page Blvd", "size": "10 agents"},
    )
    call = Report.objects.get(intake=intake)
    assert member.incident_id and call.incident_id
    return Genuine(member.incident_id, call.incident_id, phone)


def dispatcher_console(network: Any) -> tuple[list[int], str, float]:
    """The console page as a dispatcher loads it: its incident rows (ids, in order,
    before the folded group), the page, and the seconds it took."""
    from django.test import Client
    from django.urls import reverse

    from amparo.accounts.services import membership_grant, user_create
    from amparo.twofactor.session import SESSION_KEY as TWO_FACTOR_KEY

    user = user_create(
        email=f"disp-{network.pk}-{time.monotonic_ns()}@bench.invalid",
        display_name="D",
        password="x" * 20,
    )
    membership_grant(user=user, network=network, roles=["dispatcher"])
    client = Client()
    client.force_login(user)
    session = client.session  # past the second factor, as conftest.mark_client_verified
    session[TWO_FACTOR_KEY] = {"at": int(time.time()), "method": "bench"}
    session.save()
    start = time.perf_counter()
    response = client.get(reverse("reports:console"))
    seconds = time.perf_counter() - start
    assert response.status_code == 200, response.status_code
    page = response.content.decode()
    listed = page.split('id="incident-list"', 1)[1].split("</ol>", 1)[0]
    return [int(n) for n in INCIDENT_ROW.findall(listed)], page, seconds


def stored(network: Any) -> dict[str, int]:
    from amparo.reports.models import Incident, IncidentEvent, Report

    return {
        "reports": Report.objects.filter(network=network).count(),
        "incidents": Incident.objects.filter(network=network).count(),
        "events": IncidentEvent.objects.filter(incident__network=network).count(),
    }


def bound(network: Any, known: int) -> dict[str, int]:
    """The stated bound (flood.py): stranger rows ≤ REPORT_PUBLIC_CAP per window, each
    with at most one incident and two timeline rows; plus the known reports."""
    from django.conf import settings

    cap = settings.REPORT_PUBLIC_CAP[0]
    return {"reports": cap + known, "incidents": cap + known, "events": 2 * (cap + known)}


def paged(genuine: Genuine) -> int:
    """Messages that went to anybody but the member's own reply (0: nobody was paged)."""
    from amparo.channels.models import Delivery

    return Delivery.objects.exclude(purpose="reply").count()


def run() -> dict[str, Any]:
    from bench._setup import django_in_tempdir

    django_in_tempdir()
    from django.conf import settings

    from amparo.accounts.models import Role
    from amparo.accounts.roles import sync_default_roles
    from amparo.accounts.services import network_create

    settings.SIGNUP_POW_BITS = POW_BITS
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # Django's test client
    sync_default_roles(Role)
    quiet = network_create(slug="bench-quiet", name="Red tranquila")
    flooded = network_create(slug="bench-flood", name="Red inundada")

    # Baseline: a few posts to a quiet network, and its console.
    quiet_places = towns(quiet)
    start = time.perf_counter()
    base_codes = flood_posts(network=quiet, places=quiet_places, count=BASELINE, first=0)
    base_post = (time.perf_counter() - start) / BASELINE
    genuine_reports(network=quiet, places=quiet_places)
    _rows, _page, base_console = dispatcher_console(quiet)

    # The flood: half, the genuine pair, the other half.
    places = towns(flooded)
    start = time.perf_counter()
    codes = flood_posts(network=flooded, places=places, count=POSTS // 2, first=0)
    genuine = genuine_reports(network=flooded, places=places)
    codes += flood_posts(network=flooded, places=places, count=POSTS - POSTS // 2, first=POSTS)
    flood_seconds = time.perf_counter() - start
    consoles = [dispatcher_console(flooded) for _ in range(3)]
    rows, page, _s = consoles[-1]
    console_s = statistics.median(c[2] for c in consoles)
    first_screen = rows[:FIRST_SCREEN]
    top = genuine.member_incident in first_screen and genuine.hotline_incident in first_screen
    counts, limit = stored(flooded), bound(flooded, known=2)
    within = all(counts[k] <= limit[k] for k in counts)
    return {
        "posts": POSTS,
        "codes": dict(codes),
        "baseline_codes": dict(base_codes),
        "flood_seconds": flood_seconds,
        "post_ms": flood_seconds / POSTS * 1e3,
        "base_post_ms": base_post * 1e3,
        "console_ms": console_s * 1e3,
        "base_console_ms": base_console * 1e3,
        "genuine_top": top,
        "first_screen": first_screen,
        "stored": counts,
        "bound": limit,
        "within": within,
        "paged": paged(genuine),
        "folded_shown": "unconfirmed single reports from the public" in page,
    }


def main() -> None:
    r = run()
    ok = r["genuine_top"] and r["within"] and r["paged"] == 0 and r["folded_shown"]
    print(
        f"flood: {r['posts']} posts from {r['posts']} addresses in {r['flood_seconds']:.1f} s "
        f"({r['post_ms']:.2f} ms each; {r['base_post_ms']:.2f} ms each to a quiet network), "
        f"answers {r['codes']}"
    )
    print(f"stored: {r['stored']} (bound {r['bound']})")
    print(
        f"console: {r['console_ms']:.0f} ms after the flood, {r['base_console_ms']:.0f} ms "
        f"quiet; first screen {r['first_screen']}; genuine on it: {r['genuine_top']}; "
        f"paged: {r['paged']}"
    )
    print(
        f"RESULT report_flood: ok={'yes' if ok else 'no'} posts={r['posts']} "
        f"genuine_top={'yes' if r['genuine_top'] else 'no'} paged={r['paged']} "
        f"reports_stored={r['stored']['reports']} reports_bound={r['bound']['reports']} "
        f"post_over_quiet={r['post_ms'] / r['base_post_ms']:.2f} "
        f"console_over_quiet={r['console_ms'] / r['base_console_ms']:.2f}"
    )


if __name__ == "__main__":
    main()
