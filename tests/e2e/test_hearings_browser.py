"""A hearing from a case to its outcome by clicks alone (issue 18): the coordinator opens
a case from the menu → adds a hearing → two court accompaniers, asked by text, sign up by
replying on their sandbox phones → the day before (time moved) the reminders are on their
phones, in Spanish → after the hearing (time moved) an accompanier answers the outcome by
text and the hearing's page shows it. After each login the test never types an address.

Screenshots (1280 px, the phones at 390 px) go to var/test/e2e-hearings/."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from amparo.cases.tests.conftest import open_case
from amparo.channels.models import Delivery
from amparo.conftest import huey_consumer, make_network, make_user  # noqa: F401
from amparo.hearings.models import Hearing
from amparo.hearings.reminders import hearings_sweep
from amparo.tests.factories import PersonFactory

from .conftest import ARTEFACTS, chromium, enrol_authenticator, log_in

# A real Huey consumer sends the outbox's texts, as `amparo run` does.
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("huey_consumer"),
]

OUT = ARTEFACTS / "e2e-hearings"
PHONES = {"Rosa Acompañante": "(413) 555-0191", "Tomás Acompañante": "(413) 555-0192"}


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def _open_thread(page: Page, name: str, text: str) -> None:
    """From the menu to a person's sandbox phone, looking again until ``text`` is there
    (the consumer sends within moments)."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sandbox phone").click()
    page.locator("#sandbox-threads a", has_text=name).click()
    for _ in range(40):
        if page.get_by_text(text, exact=False).count():
            break
        page.wait_for_timeout(250)
        page.get_by_role("link", name="Refresh").click()
    expect(page.locator("ol.thread")).to_contain_text(text)


def _reply(page: Page, body: str, answer: str) -> None:
    page.get_by_label("Reply as this person").fill(body)
    page.get_by_role("button", name="Send reply").click()
    for _ in range(40):
        if page.get_by_text(answer, exact=False).count():
            break
        page.wait_for_timeout(250)
        page.get_by_role("link", name="Refresh").click()
    expect(page.locator("ol.thread")).to_contain_text(answer)


def test_a_hearing_two_accompaniers_by_text_reminders_and_the_outcome(
    live_server: LiveServer,
) -> None:
    # Database first: no ORM calls while Playwright's event loop runs (see conftest).
    network = make_network("e2e-hearings", "Red de Acompañamiento E2E")
    coordinator = make_user(network, "coord@hearings.example", ["coordinator"], name="Cora")
    app = enrol_authenticator(coordinator)
    case = open_case(network, coordinator, given_names="Luis", family_names="Torres Vega")
    zone = network.zone()
    day = timezone.localdate(timezone.now(), zone) + timedelta(days=3)
    starts = datetime.combine(day, time(10, 0), zone)
    for name, phone in PHONES.items():
        PersonFactory.create(
            network=network,
            name=name,
            phone="+1" + re.sub(r"\D", "", phone),
            language="es",
            roles=["court-accompanier"],
            trainings=[("orientation", day), ("court-accompaniment", day)],
        )
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()

    with chromium() as browser:
        context = browser.new_context(
            base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        try:
            log_in(page, coordinator.email, app)  # the last page.goto: clicks from here on
            nav = page.get_by_role("navigation", name="Main")
            nav.get_by_role("link", name="Cases").click()
            page.locator("table.cases tr", has_text="Torres Vega").get_by_role(
                "link", name=re.compile(r"^Case \d+$")
            ).click()
            expect(page.locator("#hearings")).to_contain_text("No hearing yet.")
            page.get_by_role("link", name="Add a hearing").click()
            page.get_by_label("Kind").select_option(label="Bond hearing")
            page.get_by_label("Date and time").fill(f"{starts:%Y-%m-%dT%H:%M}")
            page.get_by_label("Court").fill("Hartford Immigration Court")
            page.get_by_label("Judge").fill("Judge Example")
            page.get_by_label("Accompaniers wanted").fill("2")
            page.get_by_label("Family's phone for reminders").fill("(413) 555-0193")
            _shot(page, "1-new-hearing")
            page.get_by_role("button", name="Add the hearing").click()
            expect(page.locator("ul.messages")).to_contain_text("accompaniers were asked")
            expect(page.locator("#hearing-going")).to_contain_text("0 of 2")
            code = page.locator("dt:has-text('Code for texts') + dd").inner_text().strip()
            _shot(page, "2-hearing")

            page.set_viewport_size({"width": 390, "height": 844})
            for i, name in enumerate(PHONES, 1):
                _open_thread(page, name, f"Responda CORTE {code}")
                _reply(page, f"corte {code}", "Va a acompañar a la familia")
                _shot(page, f"3-phone-{i}-signed-up-390px")
            page.set_viewport_size({"width": 1280, "height": 900})
            nav.get_by_role("link", name="Hearings").click()
            expect(page.locator("table.hearings")).to_contain_text("2 of 2")
            _shot(page, "4-hearings-list")
            page.locator("table.hearings").get_by_role("link").first.click()
            expect(page.locator("#hearing-going")).to_contain_text("2 of 2")
            expect(page.locator("#hearing-going")).to_contain_text("Rosa Acompañante")
            _shot(page, "4-hearing-staffed")
            page.get_by_role("link", name=re.compile(r"^Case \d+: Luis Torres Vega$")).click()
            expect(page.locator("#hearings")).to_contain_text("2 of 2 accompaniers")
            _shot(page, "4-case-hearings")
        except Exception:
            _shot(page, "failure-1")
            raise
        finally:
            context.close()

    # The day before at the same hour: the sweep (as `amparo run` runs it) reminds them.
    with time_machine.travel(starts - timedelta(days=1) + timedelta(minutes=1), tick=True):
        assert hearings_sweep() == 3
        with chromium() as browser:
            context = browser.new_context(
                base_url=live_server.url, locale="en-US", viewport={"width": 390, "height": 844}
            )
            page = context.new_page()
            try:
                log_in(page, coordinator.email, app)
                _open_thread(page, "Tomás Acompañante", "recordatorio, acompañamiento")
                _shot(page, "5-reminder-390px")
            except Exception:
                _shot(page, "failure-2")
                raise
            finally:
                context.close()

    # Three hours after it began, the accompaniers are asked how it went; Rosa answers.
    with time_machine.travel(starts + timedelta(hours=3, minutes=1), tick=True):
        assert hearings_sweep() == 2
        with chromium() as browser:
            context = browser.new_context(
                base_url=live_server.url, locale="en-US", viewport={"width": 390, "height": 844}
            )
            page = context.new_page()
            try:
                log_in(page, coordinator.email, app)
                _open_thread(page, "Rosa Acompañante", f"RESULTADO {code}")
                _reply(page, f"RESULTADO {code} 2", "el resultado quedó registrado")
                _shot(page, "6-outcome-by-text-390px")
                page.get_by_role("navigation", name="Main").get_by_role(
                    "link", name="Hearings"
                ).click()
                page.locator("table.hearings").get_by_role("link").first.click()
                expect(page.locator("#hearing-outcome")).to_contain_text("Bond granted")
                _shot(page, "7-outcome-390px")
            except Exception:
                _shot(page, "failure-3")
                raise
            finally:
                context.close()

    hearing = Hearing.objects.get(case=case)
    assert hearing.outcome == "bond_granted" and hearing.outcome_by is not None
    reminders = Delivery.objects.filter(purpose="hearing-reminder")
    assert sorted(d.to_address for d in reminders) == [
        "+14135550191",
        "+14135550192",
        "+14135550193",
    ]
    assert all(d.language == "es" for d in reminders)
