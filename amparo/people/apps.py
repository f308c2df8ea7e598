from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "amparo.people"
    label = "people"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .signup import register_inbound_handlers

        register_inbound_handlers()
