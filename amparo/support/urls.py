"""Mounted at /support/ in the "support" namespace; the chosen people's link is
mounted at /plan/<token>/ (login-free) in amparo/urls.py."""

from django.urls import path

from . import views

app_name = "support"

urlpatterns = [
    path("rotas/", views.rotas, name="rotas"),
    path("rotas/<int:pk>/", views.rota, name="rota"),
    path("rotas/<int:pk>/slots/", views.slot_add, name="slot_add"),
    path("rotas/<int:pk>/ask/", views.rota_ask, name="rota_ask"),
    path("slots/<int:pk>/take/", views.slot_take, name="slot_take"),
    path("case/<int:pk>/need/", views.case_need, name="case_need"),
    path("case/<int:pk>/plan/", views.case_plan_open, name="case_plan_open"),
    path("plan/", views.plan, name="plan"),
    path("plan/pdf/", views.plan_pdf, name="plan_pdf"),
]
