from django.urls import path

from . import views, views_panic

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("network/switch/", views.switch_network, name="switch_network"),
    # the coordinator's panic wipe (two factors, typed confirmation): views_panic.py
    path("panic/", views_panic.panic, name="panic"),
]
