from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "amparo.reports"
    label = "reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import sms, verification

        verification.register_inbound_handlers()  # CONFIRMADO / NO / NO SÉ answers (55)
        sms.register_inbound_handlers()  # REPORT / REPORTE (60)
