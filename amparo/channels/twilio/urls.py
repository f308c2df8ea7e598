"""Twilio's webhooks (no namespace). Every view is signature-checked (security.py).

Configure on the Twilio number: Voice "A call comes in" → ``/hooks/twilio/voice``,
voice status callback → ``/hooks/twilio/status``, voice fallback → the static
``fallback.xml`` (see FALLBACK.md), Messaging "A message comes in" →
``/hooks/twilio/sms``. All POST.
"""

from django.urls import path

from . import sms, voice

urlpatterns = [
    path("voice", voice.voice, name="twilio_voice"),
    path("voice/menu", voice.voice_menu, name="twilio_voice_menu"),
    path("voice/leg", voice.voice_leg, name="twilio_voice_leg"),
    path("voice/dial-done", voice.voice_dial_done, name="twilio_voice_dial_done"),
    path("voice/goodbye", voice.voice_goodbye, name="twilio_voice_goodbye"),
    path("voice/recorded", voice.voice_recorded, name="twilio_voice_recorded"),
    path("status", voice.status, name="twilio_status"),
    path("sms", sms.sms, name="twilio_sms"),
]

# Alerts by phone call (voice_alert.py): TwiML, the keypress, the call's status.
from . import voice_alert  # noqa: E402

urlpatterns += [
    path("voice/alert", voice_alert.voice_alert, name="twilio_voice_alert"),
    path("voice/alert/answer", voice_alert.voice_alert_answer, name="twilio_voice_alert_answer"),
    path("voice/alert/status", voice_alert.voice_alert_status, name="twilio_voice_alert_status"),
]
