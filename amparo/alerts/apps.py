from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "amparo.alerts"
    label = "alerts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import answers

        answers.register_inbound_handlers()  # 1/YES/SÍ, 2/NO, minutes, LLEGUÉ (order 35)
