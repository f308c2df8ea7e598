from django.urls import path

from . import views_record as views

urlpatterns = [
    path("record/", views.committee_record, name="committee_record"),
    path("demands/", views.demands, name="demands"),
    path("demands/<int:pk>/", views.demand, name="demand"),
    path("demands/<int:pk>/move/", views.demand_move, name="demand_move"),
    path("demands/<int:pk>/check/", views.check_now, name="demand_check_now"),
    path("checks/<int:pk>/answer/", views.check_answer, name="check_answer"),
    path("surge/", views.surge, name="surge"),
    path("pipeline/", views.pipeline, name="pipeline"),
]
