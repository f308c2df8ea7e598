"""The rules are data a coordinator edits from the audits page: notice kinds and their
deadlines, technical or substantive errors, state rules, the union's steps. Each change
is logged and shown as history; a form with errors keeps what was typed and speaks the
reader's language."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.urls import reverse

from amparo.accounts.models import AuditEvent
from amparo.audits import services
from amparo.audits.models import ActionStep, ErrorRule, NoticeKind, StateRule
from amparo.conftest import client_for, make_user
from amparo.people.models import Organization

pytestmark = pytest.mark.django_db


def _links(page: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', page)


def _form_data(page: str) -> dict[str, str]:
    """The values a browser would send back from the page's form."""
    data = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    for name, value in re.findall(
        r'<select name="([^"]+)"[^>]*>.*?<option value="([^"]*)"[^>]*selected', page, re.S
    ):
        data[name] = value
    for tag in re.findall(r'<input type="checkbox"[^>]*>', page):
        if " checked" in tag:
            data[re.findall(r'name="([^"]+)"', tag)[0]] = "on"
    data.pop("csrfmiddlewaretoken", None)
    return data


def test_a_coordinator_edits_a_deadline_by_clicks_and_the_change_is_logged(
    network_a: Any, coordinator_a: Any
) -> None:
    client = client_for(coordinator_a)
    dashboard = client.get(reverse("audits:dashboard")).content.decode()
    rules_url = reverse("audits:rules")
    assert rules_url in _links(dashboard)
    noi = NoticeKind.objects.get(network=network_a, slug="inspection")
    edit_url = reverse("audits:rule_notice", kwargs={"pk": noi.pk})
    assert edit_url in _links(client.get(rules_url).content.decode())
    data = _form_data(client.get(edit_url).content.decode())
    assert data["text_es"] == "Aviso de Inspección" and data["rule"] == "business"
    response = client.post(edit_url, {**data, "days": "5"})
    assert response.status_code == 302
    noi.refresh_from_db()
    assert noi.days == 5 and noi.name["es"] == "Aviso de Inspección"
    event = AuditEvent.objects.get(target_type="audits.noticekind", target_id=str(noi.pk))
    assert event.fields == ["days"] and event.actor_id == coordinator_a.pk
    history = client.get(edit_url).content.decode().split('id="history"')[1]
    assert "Alicia Álvarez" in history and "changed" in history
    plant = Organization.objects.create(
        network=network_a, kind="workplace", name="Planta", state="TX"
    )
    audit = services.audit_open(network=network_a, workplace=plant, served_on=date(2026, 3, 2))
    assert audit.notices.get().due_on == date(2026, 3, 9)


def test_errors_in_spanish_and_nothing_typed_is_lost(network_a: Any, coordinator_a: Any) -> None:
    client = client_for(coordinator_a, "es")
    noi = NoticeKind.objects.get(network=network_a, slug="inspection")
    url = reverse("audits:rule_notice", kwargs={"pk": noi.pk})
    data = _form_data(client.get(url).content.decode())
    typed = {**data, "days": "0", "text_es": "Aviso de Inspección (nuevo texto)"}
    response = client.post(url, typed)
    page = response.content.decode()
    assert response.status_code == 400
    assert "Un plazo contado en días necesita al menos un día." in page
    assert "Aviso de Inspección (nuevo texto)" in page
    noi.refresh_from_db()
    assert noi.days == 3 and noi.name["es"] == "Aviso de Inspección"
    state_url = reverse("audits:rule_new", kwargs={"kind": "state"})
    page = client.post(state_url, {"state": "N1", "law": "Ley X", "hours": "48"}).content.decode()
    assert "Dos letras" in page and "Ley X" in page and "Escríbalo en al menos un idioma" in page


def test_an_error_moves_to_substantive_and_a_new_state_rule_applies(
    network_a: Any, coordinator_a: Any
) -> None:
    client = client_for(coordinator_a)
    preparer = ErrorRule.objects.get(network=network_a, slug="missing-preparer")
    url = reverse("audits:rule_error", kwargs={"pk": preparer.pk})
    data = _form_data(client.get(url).content.decode())
    assert client.post(url, {**data, "category": "substantive"}).status_code == 302
    assert "Preparer or translator" in client.get(reverse("audits:dashboard")).content.decode()

    noi = NoticeKind.objects.get(network=network_a, slug="inspection")
    response = client.post(
        reverse("audits:rule_new", kwargs={"kind": "state"}),
        {"state": "ny", "law": "NY Labor Law 201-i", "notice_kind": noi.pk, "hours": "48",
         "position": "9", "text_en": "Tell the union.", "text_es": "Avisar al sindicato."},
    )  # fmt: skip
    assert response.status_code == 302
    rule = StateRule.objects.get(network=network_a, state="NY")
    assert rule.slug == "tell-the-union" and rule.duty["es"] == "Avisar al sindicato."
    plant = Organization.objects.create(network=network_a, kind="workplace", name="P", state="NY")
    audit = services.audit_open(network=network_a, workplace=plant, served_on=date(2026, 3, 2))
    assert audit.state_duties.get().rule == rule


def test_the_union_steps_and_their_deadlines_are_data(network_a: Any, coordinator_a: Any) -> None:
    client = client_for(coordinator_a)
    bargain = ActionStep.objects.get(network=network_a, slug="bargain")
    url = reverse("audits:rule_step", kwargs={"pk": bargain.pk})
    data = _form_data(client.get(url).content.decode())
    assert client.post(url, {**data, "days": "2"}).status_code == 302
    plant = Organization.objects.create(network=network_a, kind="workplace", name="P", state="TX")
    # Monday 2 March 2026: information request +1, bargaining now +2 business days
    audit = services.audit_open(network=network_a, workplace=plant, served_on=date(2026, 3, 2))
    due = {a.step.slug: a.due_on for a in audit.actions.all()}
    assert due == {"info_request": date(2026, 3, 3), "bargain": date(2026, 3, 4)}
    nlrb = ActionStep.objects.get(network=network_a, slug="nlrb")
    ActionStep.objects.filter(pk=nlrb.pk).update(days=10)
    nlrb.refresh_from_db()
    action = services.action_add(audit=audit, step=nlrb, due_on=None)
    assert action.due_on == date(2026, 3, 16)


def test_a_steward_may_use_audits_but_not_edit_the_rules(network_a: Any) -> None:
    steward = make_user(network_a, "s@a.example", ["steward"], name="Sara")
    client = client_for(steward)
    assert reverse("audits:rules") not in client.get(reverse("audits:dashboard")).content.decode()
    assert client.get(reverse("audits:rules")).status_code == 403
