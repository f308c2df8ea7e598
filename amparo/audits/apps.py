from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "amparo.audits"
    label = "audits"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "I-9 audits"
