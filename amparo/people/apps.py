from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "amparo.people"
    label = "people"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from amparo.channels.base import address_unreachable

        from .reach import phone_unreachable

        address_unreachable.connect(phone_unreachable, dispatch_uid="amparo.people.reach")
