from django.urls import path

from . import views_committees as views

urlpatterns = [
    path("", views.committees, name="committees"),
    path("<int:pk>/", views.committee, name="committee"),
    path("<int:pk>/members/add/", views.member_add, name="committee_member_add"),
    path(
        "<int:pk>/members/<int:person_pk>/remove/",
        views.member_remove,
        name="committee_member_remove",
    ),
    path(
        "<int:pk>/members/<int:person_pk>/chair/", views.member_chair, name="committee_member_chair"
    ),
    path("<int:pk>/tasks/new/", views.task_create, name="task_create"),
    path("tasks/<int:pk>/edit/", views.task_edit, name="task_edit"),
    path("tasks/<int:pk>/move/", views.task_move, name="task_move"),
]
