from django.urls import path

from . import views_record as views
from . import views_record_edit as edit

urlpatterns = [
    path("record/", views.committee_record, name="committee_record"),
    path("record/meetings/<int:pk>/", edit.meeting_edit, name="meeting_edit"),
    path("record/decisions/<int:pk>/", edit.decision_edit, name="decision_edit"),
    path("demands/", views.demands, name="demands"),
    path("demands/<int:pk>/edit/", edit.demand_edit, name="demand_edit"),
    path("commitments/<int:pk>/", edit.commitment_edit, name="commitment_edit"),
    path("demands/<int:pk>/", views.demand, name="demand"),
    path("demands/<int:pk>/move/", views.demand_move, name="demand_move"),
    path("demands/<int:pk>/check/", views.check_now, name="demand_check_now"),
    path("checks/<int:pk>/answer/", views.check_answer, name="check_answer"),
    path("surge/", views.surge, name="surge"),
    path("pipeline/", views.pipeline, name="pipeline"),
]
