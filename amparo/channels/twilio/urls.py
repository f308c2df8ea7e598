"""Twilio's webhooks (no namespace), all POST and signature-checked (security.py).

On the Twilio number: Voice → ``/hooks/twilio/voice`` (``hotline/urls_twilio.py``), voice
status → ``/hooks/twilio/status``, voice fallback → ``fallback.xml`` (FALLBACK.md),
Messaging → ``/hooks/twilio/sms``.
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
