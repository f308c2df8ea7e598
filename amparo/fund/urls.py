"""Mounted at /fund/ in the "fund" namespace."""

from django.urls import path

from . import views

app_name = "fund"

urlpatterns = [
    path("", views.fund_home, name="home"),
    path("case/<int:pk>/request/", views.request_new, name="request_new"),
    path("<int:pk>/", views.request_view, name="request"),
    path("<int:pk>/decide/", views.request_decide_view, name="decide"),
    path("<int:pk>/bond/", views.bond_view, name="bond"),
    path("donation/", views.donation_new, name="donation"),
    path("rule/", views.rule_view, name="rule"),
    path("statement/", views.statement, name="statement"),
]
