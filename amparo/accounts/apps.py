from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "amparo.accounts"

    def ready(self) -> None:
        from . import lockout

        lockout.connect()
