from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "amparo.documents"
    label = "documents"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Documents"
