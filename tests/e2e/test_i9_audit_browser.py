"""A steward follows an I-9 audit from the Notice of Inspection to the first reminder,
all by clicking: a Notice of Inspection is entered → its deadline appears → a Notice of
Suspect Documents names three workers → the information request is recorded as sent →
the next deadline is texted to the steward, and it reaches their sandbox phone (in the
steward's Spanish)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import formats, timezone, translation
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from amparo.accounts.models import Role
from amparo.accounts.roles import sync_default_roles
from amparo.audits.models import AffectedWorker, Audit
from amparo.channels.models import Delivery
from amparo.conftest import huey_consumer, make_network, make_user  # noqa: F401
from amparo.lib.businessdays import add_business_days
from amparo.people.models import Organization, OrganizationMember
from amparo.tests.factories import PersonFactory

from .conftest import ARTEFACTS, chromium, enrol_authenticator, log_in

# A real Huey consumer sends the outbox's texts, as `amparo run` does.
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("huey_consumer"),
]

STEWARD_PHONE = "+14135550181"
WORKERS = ["Ana Uno", "Beto Dos", "Carla Tres"]


def test_notice_of_inspection_to_a_reminder_on_the_stewards_phone(
    live_server: LiveServer,
) -> None:
    # Database first: no ORM calls while Playwright's event loop runs (see conftest).
    sync_default_roles(Role)
    network = make_network("e2e-audits", "Red Sindical E2E")
    user = make_user(network, "sara@e2e.example", ["steward"], name="Sara Delegada")
    steward = PersonFactory.create(
        network=network, name="Sara Delegada", phone=STEWARD_PHONE, language="es", user=user
    )
    app = enrol_authenticator(user)
    today = timezone.localdate()
    production_due = add_business_days(today, 3)
    with translation.override("en"):
        production_text = formats.date_format(production_due, "D j M Y")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shots = [ARTEFACTS / f"e2e-i9-audit-{n}.png" for n in range(1, 5)]
    for shot in shots:
        shot.unlink(missing_ok=True)

    with chromium() as browser:
        context = browser.new_context(
            base_url=live_server.url, locale="en-US", viewport={"width": 390, "height": 844}
        )
        page = context.new_page()
        try:
            log_in(page, "sara@e2e.example", app)
            # From the dashboard's menu to the audits; the workplace (in California) first.
            page.get_by_role("link", name="I-9 audits").first.click()
            page.get_by_role("link", name="Add a workplace or employer").click()
            page.get_by_label("Name").fill("Empacadora del Valle")
            page.get_by_label("State").fill("CA")
            page.get_by_label("Steward").select_option(label="Sara Delegada")
            page.get_by_role("button", name="Save").click()
            # Then the audit, from its Notice of Inspection.
            page.get_by_role("link", name="Open an I-9 audit").click()
            page.get_by_label("Workplace").select_option(label="Empacadora del Valle")
            page.get_by_label("Notice of Inspection served on").fill(today.isoformat())
            page.get_by_label("Steward who follows it").select_option(label="Sara Delegada")
            page.get_by_role("button", name="Save").click()

            # Its deadline appears: the I-9s are due in 3 business days.
            expect(page.get_by_role("heading", level=1)).to_contain_text("Empacadora del Valle")
            noi_row = page.locator("table tr", has_text="Notice of Inspection")
            expect(noi_row).to_contain_text(production_text)
            expect(page.locator("#deadlines")).to_contain_text(production_text)
            page.screenshot(path=str(shots[0]), full_page=True)

            # A Notice of Suspect Documents names three workers.
            page.get_by_text("Enter a notice").click()
            page.get_by_label("Notice", exact=True).select_option(
                label="Notice of Suspect Documents"
            )
            page.get_by_label("Served on").fill(today.isoformat())
            page.get_by_label("Date given on the notice").fill(
                (today + timedelta(days=14)).isoformat()
            )
            page.get_by_label("Workers it names").fill("\n".join(WORKERS))
            page.get_by_role("button", name="Save the notice").click()
            expect(page.locator("#workers > li")).to_have_count(3)
            for name in WORKERS:
                expect(page.locator("#workers")).to_contain_text(name)
            page.screenshot(path=str(shots[1]), full_page=True)

            # The information request is recorded as sent.
            info = page.locator("#steps > li", has_text="Request information")
            info.get_by_text("Record as sent").first.click()
            info.get_by_label("Sent on").fill(today.isoformat())
            info.get_by_label("What was sent, to whom, how").fill(
                "Letter to HR asking for the notices and the list of named workers"
            )
            info.get_by_role("button", name="Record as sent").click()
            expect(page.locator("#steps > li", has_text="Request information")).to_contain_text(
                "Sent"
            )
            page.screenshot(path=str(shots[2]), full_page=True)

            # The next deadline is texted to the steward…
            page.get_by_role("button", name="Text the next deadline to the steward").click()
            expect(page.get_by_text("The next deadline was texted to the steward.")).to_be_visible()

            # …and reaches their sandbox phone, in Spanish.
            page.get_by_role("link", name="Sandbox phone").first.click()
            thread = page.locator("#sandbox-threads a", has_text="Sara Delegada")
            for _ in range(20):  # the consumer sends it within moments: look again
                if thread.count():
                    break
                page.wait_for_timeout(250)
                page.reload()
            page.locator("#sandbox-threads a", has_text="Sara Delegada").click()
            expect(page.locator("main")).to_contain_text("auditoría I-9 en Empacadora del Valle")
            page.screenshot(path=str(shots[3]), full_page=True)
        except Exception:
            page.screenshot(path=str(ARTEFACTS / "e2e-i9-audit-failure.png"), full_page=True)
            raise
        context.close()

    audit = Audit.objects.get(network=network)
    plant = Organization.objects.get(network=network, name="Empacadora del Valle")
    assert audit.workplace == plant and plant.state == "CA"
    assert OrganizationMember.objects.get(organization=plant).person == steward
    assert audit.steward == steward
    assert sorted(w.name for w in AffectedWorker.objects.filter(audit=audit)) == sorted(WORKERS)
    info_request = audit.actions.get(step__slug="info_request")
    assert info_request.sent_on == today
    (text,) = [
        d for d in Delivery.objects.filter(purpose="reminder") if d.to_address == STEWARD_PHONE
    ]
    assert text.language == "es" and text.status == Delivery.Status.SENT
    assert "Empacadora del Valle" in text.body
    # the whole text in the steward's language, the names of the deadlines included
    assert "El empleador publica un aviso" in text.body or "exigir negociar" in text.body
    assert "The employer" not in text.body and "demand to bargain" not in text.body
    for shot in shots:
        assert shot.stat().st_size > 0
