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
