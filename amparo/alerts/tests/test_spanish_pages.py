"""In Spanish, the dispatcher's three pages (console, incident page, board) and the
incident's timeline show no English: not a label from their templates, not a code
(timeline events, report answers, delivery statuses, escalation steps), and no phone
number in E.164 (issue 12 point 7, point 5 of the brief).

The English labels are collected from the pages' templates themselves ({% translate %}
and {% blocktranslate %} texts whose Spanish differs), from the choices shown on them,
and from a list of codes seen on the pages in Spanish before this was fixed."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from amparo.alerts.models import AlertKind, AlertRecipient, EscalationStep, Facility
from amparo.channels.models import Delivery
from amparo.conftest import client_for, make_user
from amparo.reports.models import IncidentEvent
from amparo.reports.services import ReportInput, report_submit

from .test_escalation import squad_alert
from .test_escalation import world as world  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
PAGE_TEMPLATES = [
    "reports/console.html",
    "reports/console_row.html",
    "reports/incident.html",
    "reports/incident_named.html",
    "alerts/board.html",
    "alerts/board_alert.html",
    "alerts/timeline.html",
]
#: codes and words seen on these pages in Spanish before (issue 12 point 7), and the
#: other codes their events and answers are stored as
CODES = [
    "Where",
    "Detained",
    "now",
    "yes",
    "created",
    "report",
    "web",
    "status:",
    "3 asked",
    "asked",
    "verified",
    "alert squad",
    "alert legal",
    "sent 400",
    "sent",
    "delivered",
    "failed",
    "widen",
    "widened",
    "tier",
    "voice",
    "sandbox",
    "sending",
    "merge",
    "public_note",
    "meeting_point",
    "plain",
    "police",
    "3-5",
]
E164 = re.compile(r"\+1\d{10}")


class _Text(HTMLParser):
    """The text a person sees or hears: text nodes and the labelling attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._skip += 1
        for name, value in attrs:
            if value and (name in ("aria-label", "title", "placeholder", "alt")):
                self.parts.append(value)
            if value and (name in ("data-yes", "data-no") or name.startswith("data-label")):
                self.parts.append(value)  # texts the page's script shows later

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(parser.parts)


def _template_labels() -> set[str]:
    """The English texts of the pages' templates whose Spanish is different, cut at
    their placeholders (each piece of three letters or more is checked)."""
    found = re.compile(
        r'{%\s*translate\s+"((?:[^"\\]|\\.)*)"|'
        r"{%\s*translate\s+'((?:[^'\\]|\\.)*)'|"
        r"{%\s*blocktranslate[^%]*%}(.*?){%\s*endblocktranslate\s*%}",
        re.S,
    )
    labels: set[str] = set()
    for name in PAGE_TEMPLATES:
        source = (TEMPLATES / name).read_text(encoding="utf-8")
        for match in found.finditer(source):
            text = next(g for g in match.groups() if g is not None)
            msgid = re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", text)
            with translation.override("es"):
                spanish = translation.gettext(msgid)
            if spanish == msgid:
                continue
            for piece in re.split(r"%\(\w+\)s|%s", msgid):
                piece = piece.strip(" ·:,.()#—-")
                if len(re.sub(r"[^A-Za-z]", "", piece)) >= 3 and piece not in spanish:
                    labels.add(piece)
    return labels


def _choice_labels() -> set[str]:
    from amparo.alerts.models import Alert
    from amparo.reports.models import IncidentStatus, Source

    labels: set[str] = set()
    for choices in (
        IncidentStatus,
        Source,
        AlertKind,
        Alert.Status,
        AlertRecipient.Status,
        Delivery.Status,
    ):
        labels.update(str(label) for label in choices.labels)  # English: this test runs in en
    return labels


def english_on(text: str, labels: set[str]) -> list[str]:
    found = []
    for label in sorted(labels):
        words = re.escape(label)
        if re.search(rf"(?<![\w]){words}(?![\w])", text):
            found.append(label)
    return found


@pytest.fixture
def raid(network_a: Any, world: dict[str, Any]) -> dict[str, Any]:
    """An incident as on a raid morning: a web report and a hotline one (with the SALUTE
    answers as stored), its events as the services write them, a squad call-out with
    answers, texts and an escalation step done, and a legal call-out to a facility."""
    incident = world["incident"]
    for source, details in (
        (
            "web",
            {
                "activity": "agentes en la puerta",
                "where": "Planta de Empaque Ficticia",
                "size": "3-5",
                "uniform": "police",
                "time": "now",
            },
        ),
        ("hotline", {"where": "Calle Ficticia 12", "detained": "yes", "uniform": "plain"}),
    ):
        report = report_submit(
            network=network_a,
            source=source,
            data=ReportInput(
                details=details,
                point={"lat": 42.2043, "lng": -72.6162},
                place=world["place"],
                reporter_phone="+14135550177",
            ),
        )
        report.incident = incident
        report.save(update_fields=["incident"])
    for kind, fields in (
        ("created", {"to_status": "unverified"}),
        ("report", {"note": "web"}),
        ("report", {"note": "hotline"}),
        ("status", {"from_status": "unverified", "to_status": "verifying", "note": "3 asked"}),
        ("status", {"from_status": "verifying", "to_status": "confirmed", "note": "verified"}),
        ("status", {"from_status": "confirmed", "to_status": "responding", "note": "alert squad"}),
        ("merge", {"note": "from 12"}),
        ("public_note", {}),
        ("meeting_point", {}),
    ):
        IncidentEvent.objects.create(incident=incident, kind=kind, **fields)
    alert = squad_alert(network_a, incident, world["first"], target_going=3)
    a, b, c = AlertRecipient.objects.filter(alert=alert).order_by("pk")
    now = timezone.now()
    AlertRecipient.objects.filter(pk=a.pk).update(
        status="going", eta_minutes=12, answered_at=now, answered_via="sms", tier=2
    )
    AlertRecipient.objects.filter(pk=b.pk).update(
        status="not_going", answered_at=now, answered_via="link"
    )
    for recipient, status in ((a, "sent"), (b, "delivered"), (c, "failed")):
        Delivery.objects.create(
            network=network_a,
            channel="sandbox",
            to_address="+14135550200",
            body="x",
            alert=alert,
            recipient=recipient,
            status=status,
        )
    EscalationStep.objects.create(
        alert=alert,
        position=0,
        action="widen",
        due_at=now - timedelta(minutes=1),
        done_at=now,
        result="widened 2 tier 2",
    )
    EscalationStep.objects.create(
        alert=alert, position=1, action="voice", due_at=now + timedelta(minutes=5)
    )
    facility = Facility.objects.create(
        network=network_a, name="Centro Ficticio", latitude=42.1, longitude=-72.6
    )
    squad_alert(network_a, incident, world["more"], kind=AlertKind.LEGAL, facility=facility)
    return {"incident": incident, "alert": alert}


def test_dispatcher_pages_in_spanish_show_no_english_label_code_or_e164(
    network_a: Any, raid: dict[str, Any]
) -> None:
    labels = _template_labels() | _choice_labels() | set(CODES)
    assert len(labels) > 80  # the list really was collected from the templates
    dispatcher = make_user(network_a, "dee@a.example", ["dispatcher"], name="Dee")
    client = client_for(dispatcher, language="es")
    incident = raid["incident"]
    pages = {
        "console": reverse("reports:console"),
        "incident": reverse("reports:incident", kwargs={"pk": incident.pk}),
        "board": reverse("alerts:board", kwargs={"incident_pk": incident.pk}),
        "timeline": reverse("alerts:timeline", kwargs={"incident_pk": incident.pk}),
    }
    problems = {}
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert 'lang="es"' in response.content.decode()
        text = visible_text(response.content.decode())
        english = english_on(text, labels)
        numbers = E164.findall(text)
        if english or numbers:
            problems[name] = english + numbers
    assert problems == {}, repr(problems)
