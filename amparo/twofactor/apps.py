from django.apps import AppConfig


class TwoFactorConfig(AppConfig):
    name = "amparo.twofactor"
    label = "twofactor"
    verbose_name = "Two factors"
    default_auto_field = "django.db.models.BigAutoField"
