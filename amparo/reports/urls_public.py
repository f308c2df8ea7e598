from django.urls import path

from . import views_public, views_verify

# Mounted at /report/ without a namespace. Public (no login): report_start (the form where
# the server holds one network, a chooser otherwise), report_form, report_done.
# report_responder needs a login and a membership of the network.
urlpatterns = [
    path("", views_public.report_start, name="report_start"),
    path("staff/responder/", views_public.report_responder, name="report_responder"),
    # the network's public status page: confirmed raids and false-alarm notes only
    path("status/<slug:network>/", views_verify.status_page, name="report_status"),
    path("<slug:network>/", views_public.report_form, name="report_form"),
    path("<slug:network>/done/", views_public.report_done, name="report_done"),
]
