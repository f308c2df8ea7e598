from django.apps import AppConfig


class HotlineConfig(AppConfig):
    name = "amparo.hotline"
    label = "hotline"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import keywords, shifts

        shifts.register_inbound_handlers()  # TAKE/TOMAR replies to swap requests
        keywords.register_inbound_handlers()  # HELP/AYUDA, then the catch-all conversation
