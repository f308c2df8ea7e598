"""twilio_call.py's views at /hooks/twilio/, where Twilio is configured to call."""

from django.urls import path

from . import twilio_call as voice

urlpatterns = [
    path("voice", voice.voice, name="twilio_voice"),
    path("voice/menu", voice.voice_menu, name="twilio_voice_menu"),
    path("voice/whisper", voice.voice_whisper, name="twilio_voice_whisper"),
    path("voice/take", voice.voice_take, name="twilio_voice_take"),
    path("voice/leg", voice.voice_leg, name="twilio_voice_leg"),
    path("voice/dial-done", voice.voice_dial_done, name="twilio_voice_dial_done"),
    path("voice/goodbye", voice.voice_goodbye, name="twilio_voice_goodbye"),
    path("voice/recorded", voice.voice_recorded, name="twilio_voice_recorded"),
]
