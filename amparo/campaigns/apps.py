from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "amparo.campaigns"
    label = "campaigns"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Petitions and letters of support"
