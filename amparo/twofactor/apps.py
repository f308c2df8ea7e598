from django.apps import AppConfig


class TwoFactorConfig(AppConfig):
    name = "amparo.twofactor"
    verbose_name = "Two factors"
