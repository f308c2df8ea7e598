"""Twilio's webhooks (no namespace). Every view is signature-checked (security.py).

Configure on the Twilio number: Voice "A call comes in" → ``/hooks/twilio/voice``,
voice status callback → ``/hooks/twilio/status``, voice fallback → the static
``fallback.xml`` (see FALLBACK.md), Messaging "A message comes in" →
``/hooks/twilio/sms``. All POST. The hotline's call flow (``/hooks/twilio/voice…``) is
the hotline's: ``amparo/hotline/urls_twilio.py``, mounted at the same place.
"""

from django.urls import path

from . import sms, voice_alert

urlpatterns = [
    path("status", sms.status, name="twilio_status"),
    path("sms", sms.sms, name="twilio_sms"),
    # Alerts by phone call (voice_alert.py): TwiML, the keypress, the call's status.
    path("voice/alert", voice_alert.voice_alert, name="twilio_voice_alert"),
    path("voice/alert/answer", voice_alert.voice_alert_answer, name="twilio_voice_alert_answer"),
    path("voice/alert/status", voice_alert.voice_alert_status, name="twilio_voice_alert_status"),
]
