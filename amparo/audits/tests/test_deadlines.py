"""Each notice's deadline (DOMAIN.md §6), the union's first steps, the California
72-hour reminder with time moved, and the deadline reminders to the steward."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine

from amparo.audits import services
from amparo.audits.models import AuditNotice, NoticeKind, StateDuty, UnionAction
from amparo.channels.models import Delivery
from amparo.people.models import Organization
from amparo.tests.factories import PersonFactory

FRI_BEFORE_MLK = date(2026, 1, 16)  # Monday January 19 is Martin Luther King Jr. Day
FRI_BEFORE_LABOR_DAY = date(2026, 9, 4)  # Monday September 7 is Labor Day


@pytest.fixture
def workplace(network_a: Any) -> Organization:
    return Organization.objects.create(
        network=network_a, kind=Organization.Kind.WORKPLACE, name="Planta Norte", state="CA"
    )


@pytest.fixture
def steward(network_a: Any) -> Any:
    return PersonFactory.create(network=network_a, phone="+14135550190", language="es")


def kind(network: Any, slug: str) -> NoticeKind:
    return NoticeKind.objects.get(network=network, slug=slug)


@pytest.mark.parametrize(
    ("slug", "served_on", "on_notice", "due"),
    [
        # 3 business days to produce the I-9s: Tue 20, Wed 21, Thu 22 (MLK Day skipped)
        ("inspection", FRI_BEFORE_MLK, None, date(2026, 1, 22)),
        ("inspection", date(2026, 3, 2), None, date(2026, 3, 5)),
        ("inspection", FRI_BEFORE_LABOR_DAY, None, date(2026, 9, 10)),
        # 10 business days to correct technical failures: MLK Day skipped
        ("technical", FRI_BEFORE_MLK, None, date(2026, 2, 2)),
        # Thanksgiving and the weekend skipped
        ("technical", date(2026, 11, 20), None, date(2026, 12, 7)),
        # the date written on the notice, whatever the calendar
        ("suspect", FRI_BEFORE_MLK, date(2026, 1, 30), date(2026, 1, 30)),
        ("discrepancies", FRI_BEFORE_MLK, date(2026, 2, 6), date(2026, 2, 6)),
        # 30 days to request a hearing; February 15 is a Sunday and 16 Presidents' Day
        ("intent-to-fine", FRI_BEFORE_MLK, None, date(2026, 2, 17)),
        ("intent-to-fine", date(2026, 3, 2), None, date(2026, 4, 1)),
        # no deadline
        ("results", FRI_BEFORE_MLK, None, None),
        ("warning", FRI_BEFORE_MLK, None, None),
    ],
)
def test_each_notice_deadline(
    network_a: Any,
    workplace: Organization,
    slug: str,
    served_on: date,
    on_notice: date | None,
    due: date | None,
) -> None:
    audit = services.audit_open(network=network_a, workplace=workplace, served_on=served_on)
    notice = services.notice_add(
        audit=audit, kind=kind(network_a, slug), served_on=served_on, date_on_notice=on_notice
    )
    assert notice.due_on == due


def test_audit_opens_with_its_inspection_notice_and_first_steps(
    network_a: Any, workplace: Organization
) -> None:
    audit = services.audit_open(network=network_a, workplace=workplace, served_on=FRI_BEFORE_MLK)
    (noi,) = AuditNotice.objects.filter(audit=audit)
    assert noi.kind.slug == "inspection"
    assert noi.due_on == date(2026, 1, 22)
    steps = {a.step.slug: a.due_on for a in UnionAction.objects.filter(audit=audit)}
    assert steps == {"info_request": date(2026, 1, 20), "bargain": date(2026, 1, 22)}
    # California: the employer's 72-hour posting duty is there to check
    (duty,) = StateDuty.objects.filter(audit=audit)
    assert duty.rule.law == "California Labor Code 90.2"


def test_a_changed_rule_changes_the_deadline(network_a: Any, workplace: Organization) -> None:
    noi = kind(network_a, "inspection")
    noi.days = 5
    noi.save()
    audit = services.audit_open(network=network_a, workplace=workplace, served_on=date(2026, 3, 2))
    assert audit.notices.get().due_on == date(2026, 3, 9)


def test_a_notice_of_a_dated_kind_needs_its_date(network_a: Any, workplace: Organization) -> None:
    audit = services.audit_open(network=network_a, workplace=workplace, served_on=FRI_BEFORE_MLK)
    with pytest.raises(services.AuditRefused):
        services.notice_add(audit=audit, kind=kind(network_a, "suspect"), served_on=FRI_BEFORE_MLK)
    assert audit.notices.count() == 1


def test_no_state_duty_outside_the_states_with_rules(network_a: Any) -> None:
    texas = Organization.objects.create(
        network=network_a, kind=Organization.Kind.EMPLOYER, name="Tejas Co", state="TX"
    )
    audit = services.audit_open(network=network_a, workplace=texas, served_on=FRI_BEFORE_MLK)
    assert not StateDuty.objects.filter(audit=audit).exists()


def _reminders(number: str) -> list[Delivery]:
    return [d for d in Delivery.objects.filter(purpose="reminder") if d.to_address == number]


def test_california_72_hour_reminder_fires_in_time(
    network_a: Any, workplace: Organization, steward: Any
) -> None:
    # served Monday 2 March 2026; the 72 hours end Thursday 5 March 00:00 New York time
    # (05:00 UTC); the steward is texted 24 hours before: Wednesday 05:00 UTC.
    with time_machine.travel(datetime(2026, 3, 2, 15, 0, tzinfo=UTC), tick=False):
        audit = services.audit_open(
            network=network_a, workplace=workplace, served_on=date(2026, 3, 2), steward=steward
        )
    duty = StateDuty.objects.get(audit=audit)
    assert duty.due_at == datetime(2026, 3, 5, 5, 0, tzinfo=UTC)
    UnionAction.objects.filter(audit=audit).update(sent_on=date(2026, 3, 2))
    AuditNotice.objects.filter(audit=audit).update(reminded_at=datetime(2026, 3, 2, tzinfo=UTC))

    with time_machine.travel(datetime(2026, 3, 4, 4, 59, tzinfo=UTC), tick=False):
        services.audit_reminders_due()
    assert _reminders("+14135550190") == []

    with time_machine.travel(datetime(2026, 3, 4, 5, 1, tzinfo=UTC), tick=False):
        assert services.audit_reminders_due() == 1
        assert services.audit_reminders_due() == 0  # once
    (text,) = _reminders("+14135550190")
    assert "Labor Code 90.2" in text.body
    assert "El empleador publica un aviso" in text.body  # the steward's language
    assert text.language == "es"


def test_a_checked_state_duty_is_not_texted(
    network_a: Any, workplace: Organization, steward: Any
) -> None:
    with time_machine.travel(datetime(2026, 3, 2, 15, 0, tzinfo=UTC), tick=False):
        audit = services.audit_open(
            network=network_a, workplace=workplace, served_on=date(2026, 3, 2), steward=steward
        )
    services.duty_done(duty=StateDuty.objects.get(audit=audit))
    UnionAction.objects.filter(audit=audit).update(sent_on=date(2026, 3, 2))
    AuditNotice.objects.filter(audit=audit).update(reminded_at=datetime(2026, 3, 2, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 3, 4, 6, 0, tzinfo=UTC), tick=False):
        assert services.audit_reminders_due() == 0


def test_deadline_reminders_one_business_day_ahead(
    network_a: Any, workplace: Organization, steward: Any
) -> None:
    # Friday 16 January, Monday is a holiday: the info request (due Tuesday 20) is texted
    # on Friday already (one business day ahead), the I-9 production (Thursday 22) not yet.
    with time_machine.travel(datetime(2026, 1, 16, 15, 0, tzinfo=UTC), tick=False):
        audit = services.audit_open(
            network=network_a, workplace=workplace, served_on=FRI_BEFORE_MLK, steward=steward
        )
        StateDuty.objects.filter(audit=audit).update(done_at=datetime(2026, 1, 16, tzinfo=UTC))
        assert services.audit_reminders_due() == 1
    (text,) = _reminders("+14135550190")
    assert "Planta Norte" in text.body
    assert "20" in text.body
    with time_machine.travel(datetime(2026, 1, 21, 15, 0, tzinfo=UTC), tick=False):
        assert services.audit_reminders_due() == 2  # the bargaining demand and the I-9s
    assert len(_reminders("+14135550190")) == 3


def test_remind_now_texts_the_next_deadline(
    network_a: Any, workplace: Organization, steward: Any
) -> None:
    with time_machine.travel(datetime(2026, 1, 16, 15, 0, tzinfo=UTC), tick=False):
        audit = services.audit_open(
            network=network_a, workplace=workplace, served_on=FRI_BEFORE_MLK, steward=steward
        )
        StateDuty.objects.filter(audit=audit).update(done_at=datetime(2026, 1, 16, tzinfo=UTC))
        info = UnionAction.objects.get(audit=audit, step__slug="info_request")
        services.action_mark_sent(action=info, sent_on=FRI_BEFORE_MLK, what_sent="by email")
        assert services.audit_remind_now(audit=audit)
    (text,) = _reminders("+14135550190")
    assert "22" in text.body  # Thursday 22 January: the bargaining demand and the I-9s
    assert "Aviso de Inspección" in text.body or "exigir negociar" in text.body  # Spanish
