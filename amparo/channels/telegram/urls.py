"""The Telegram bot webhook, mounted at ``hooks/telegram/`` (views.py)."""

from django.urls import path

from . import views

urlpatterns = [path("<str:token>/", views.webhook, name="telegram_webhook")]
