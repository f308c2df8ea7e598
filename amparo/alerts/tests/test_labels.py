"""Codes shown to people go through one label map per app, in the active language:
incident events and their notes, a report's answers, escalation steps, how an answer
came in, delivery states, transports (issue 12 point 7). Before, the pages printed the
stored codes ("status: … · 3 asked", "report · web", "Detained yes", "widen: widened
171 tier 3", "sent 400")."""

from __future__ import annotations

from types import SimpleNamespace

from django.utils import translation

from amparo.alerts.escalation_words import done_text
from amparo.alerts.labels import (
    answer_via_label,
    delivery_status_label,
    sending_text,
)
from amparo.alerts.models import EscalationStep
from amparo.channels.registry import transport_label
from amparo.reports.labels import event_text, report_details


def event(kind: str, note: str = "", before: str = "", after: str = "") -> SimpleNamespace:
    return SimpleNamespace(kind=kind, note=note, from_status=before, to_status=after)


def test_incident_events_and_report_answers_in_words() -> None:
    with translation.override("es"):
        assert event_text(event("status", "3 asked", "unverified", "verifying")) == (
            "estado cambiado: sin verificar → en verificación · se preguntó a 3 verificadores"
        )
        assert event_text(event("report", "web")) == "reporte recibido · formulario público"
        assert event_text(event("status", "alert squad", "confirmed", "responding")).endswith(
            "· convocatoria de brigada enviada"
        )
        assert event_text(event("status", "my own words")).endswith("· my own words")
        rows = report_details({"where": "Planta", "detained": "yes", "time": "now", "size": "3-5"})
        assert rows == [
            ("Lugar de trabajo o dirección", "Planta"),
            ("¿Detuvieron a alguien?", "sí"),
            ("Cuándo", "Ahora"),
            ("Cuántos agentes", "De 3 a 5"),
        ]
    with translation.override("en"):
        assert event_text(event("created", "", "", "unverified")) == ("incident opened: unverified")


def test_alert_codes_in_words() -> None:
    with translation.override("es"):
        widened = EscalationStep(action="widen", result="widened 171 tier 3")
        assert (
            done_text(widened, kind="squad") == "Se pidió a 171 personas más por mensaje de texto"
        )
        paged = EscalationStep(action="page_coordinators", result="paged 2")
        assert (
            done_text(paged, kind="squad")
            == "Se envió un mensaje de texto a 2 personas de la coordinación"
        )
        assert answer_via_label("link") == "en la página del enlace"
        assert transport_label("sandbox") == "teléfono de prueba"
        assert delivery_status_label("sent") != "sent"
    with translation.override("en"):
        assert sending_text({"sent": 120, "queued": 280}) == "texts going out: 120 of 400"
        assert sending_text({"sent": 390, "failed": 10}) == "all 400 texts sent"
        assert sending_text({}) == ""
