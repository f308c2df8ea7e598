from django.urls import path

from . import views

app_name = "sandbox"

urlpatterns = [
    path("", views.phone_list, name="list"),
    path("<int:pk>/", views.phone_thread, name="thread"),
]
