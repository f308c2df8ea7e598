from django.urls import path

from . import views_board, views_escalation

urlpatterns = [
    path("<int:alert_pk>/", views_board.board, name="board"),
    path("incident/<int:incident_pk>/", views_board.board, name="board"),
    path(
        "<int:alert_pk>/escalation/", views_escalation.escalation_control, name="escalation_control"
    ),
    path("<int:alert_pk>/feed/", views_board.board_feed, name="board_feed"),
    path("incident/<int:incident_pk>/feed/", views_board.board_feed, name="board_feed"),
    path("incident/<int:incident_pk>/timeline/", views_board.timeline, name="timeline"),
    path("drills/", views_board.drills, name="drills"),
    path("drills/new/", views_board.drill_new, name="drill_new"),
    path("drills/<int:alert_pk>/", views_board.drill, name="drill"),
]
