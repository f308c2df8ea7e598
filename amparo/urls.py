from django.urls import include, path

urlpatterns = [
    path("", include("amparo.core.urls")),
    path("accounts/", include("amparo.accounts.urls")),
    path("sandbox/", include("amparo.channels.sandbox.urls")),
    path("people/", include("amparo.people.urls")),
    path("hotline/", include("amparo.hotline.urls")),
    path("incidents/", include("amparo.reports.urls")),
    path("alerts/", include("amparo.alerts.urls")),
    path("cases/", include("amparo.cases.urls")),
    path("audits/", include("amparo.audits.urls")),
    path("fund/", include("amparo.fund.urls")),
    # Responders' magic links (signed, expiring, no login): amparo/alerts/urls_answer.py
    path("a/", include("amparo.alerts.urls_answer")),
    # The public report form and status page (no login): amparo/reports/urls_public.py
    path("report/", include("amparo.reports.urls_public")),
    # Provider webhooks (signature-checked, no login): see amparo/channels/twilio/urls.py
    path("hooks/twilio/", include("amparo.channels.twilio.urls")),
    path("hooks/twilio/", include("amparo.hotline.urls_twilio")),
    path("hooks/telegram/", include("amparo.channels.telegram.urls")),
    # Public volunteer sign-up (no login): see amparo/people/urls_signup.py
    path("join/", include("amparo.people.urls_signup")),
]

handler404 = "amparo.core.errors.not_found"
handler500 = "amparo.core.errors.server_error"
handler403 = "amparo.core.errors.forbidden"
