from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "amparo.core"

    def ready(self) -> None:
        from . import checks, classification, signals  # noqa: F401
