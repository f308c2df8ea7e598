from django.urls import path

from . import rules, views

app_name = "audits"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("new/", views.audit_new, name="audit_new"),
    path("workplaces/new/", views.workplace_new, name="workplace_new"),
    path("<int:pk>/", views.audit_detail, name="audit"),
    path("<int:pk>/notices/", views.notice_add, name="notice_add"),
    path("<int:pk>/steps/", views.action_add, name="action_add"),
    path("<int:pk>/remind/", views.remind, name="remind"),
    path("workers/<int:pk>/", views.worker_update, name="worker"),
    path("workers/<int:pk>/case/", views.worker_case, name="worker_case"),
    path("steps/<int:pk>/sent/", views.action_sent, name="action_sent"),
    path("duties/<int:pk>/done/", views.duty_done, name="duty_done"),
    path("rules/", rules.rules, name="rules"),
    path("rules/<str:kind>/new/", rules.rule_edit, name="rule_new"),
    *(
        path(f"rules/{k}/<int:pk>/", rules.rule_edit, {"kind": k}, name=f"rule_{k}")
        for k in rules.RULES
    ),
    path("no-match/new/", views.letter_new, name="letter_new"),
    path("no-match/<int:pk>/", views.letter_detail, name="letter"),
]
