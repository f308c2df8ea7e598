from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "amparo.audits"
    verbose_name = "I-9 audits"
