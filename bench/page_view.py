"""A logged-in dashboard view against the trivial /healthz view, in one process.

Run from the repository root: ``python -m bench.page_view``. Bounded: at most
ROUNDS x BATCH requests of each kind and TIME_LIMIT seconds. Rounds alternate
the two views so that machine noise hits both alike; the figure to compare run
to run is the ratio of medians.
"""

from __future__ import annotations

import statistics
import time

from bench._setup import django_in_tempdir

ROUNDS = 7
BATCH = 60
TIME_LIMIT = 60.0


def main() -> None:
    django_in_tempdir()  # removed at exit
    from django.test import Client

    from amparo.accounts.services import membership_grant, network_create, user_create

    network = network_create(slug="bench", name="Bench Network")
    user = user_create(email="bench@example.org", display_name="Bench", password="x" * 12)
    membership_grant(user=user, network=network, roles=["coordinator"])
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    from amparo.twofactor.session import SESSION_KEY

    session = client.session  # both factors passed, as after the verify page
    session[SESSION_KEY] = {"at": int(time.time()), "method": "bench"}
    session.save()

    def per_request(url: str) -> float:
        start = time.perf_counter()
        for _ in range(BATCH):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        return (time.perf_counter() - start) / BATCH

    per_request("/healthz")  # warm up both (templates, url resolver, connections)
    per_request("/")
    trivial: list[float] = []
    page: list[float] = []
    deadline = time.monotonic() + TIME_LIMIT
    for _ in range(ROUNDS):
        if time.monotonic() > deadline:
            break
        trivial.append(per_request("/healthz"))
        page.append(per_request("/"))
    t, p = statistics.median(trivial), statistics.median(page)
    print(f"trivial view /healthz: median {t * 1e3:.2f} ms/request over {len(trivial)} rounds")
    print(f"dashboard /          : median {p * 1e3:.2f} ms/request over {len(page)} rounds")
    print(
        f"RESULT page_view: dashboard_over_trivial={p / t:.2f} "
        f"trivial_ms={t * 1e3:.2f} dashboard_ms={p * 1e3:.2f} rounds={len(page)}"
    )


if __name__ == "__main__":
    main()
