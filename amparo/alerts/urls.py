from django.urls import include, path

app_name = "alerts"

urlpatterns = [
    path("", include("amparo.alerts.urls_respond")),
    path("board/", include("amparo.alerts.urls_board")),
    path("facilities/", include("amparo.alerts.urls_facilities")),
]
