from django.urls import include, path

app_name = "hotline"

# Each part of the hotline has its own URL module (see the modules for the names).
urlpatterns = [
    path("", include("amparo.hotline.urls_calls")),
    path("shifts/", include("amparo.hotline.urls_shifts")),
    path("intake/", include("amparo.hotline.urls_intake")),
]
