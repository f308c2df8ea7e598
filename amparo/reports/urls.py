from django.urls import include, path

app_name = "reports"

# Staff pages (login): the dispatcher console and verification management.
urlpatterns = [
    path("", include("amparo.reports.urls_console")),
    path("verify/", include("amparo.reports.urls_verify")),
]
