from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "amparo.people"

    def ready(self) -> None:
        from amparo.channels.base import address_unreachable

        from .reach import phone_unreachable

        address_unreachable.connect(phone_unreachable, dispatch_uid="amparo.people.reach")
