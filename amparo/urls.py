from django.urls import include, path

from amparo.campaigns import urls as campaigns
from amparo.support.views import plan_shared

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
    path("support/", include("amparo.support.urls")),
    # A family plan's chosen person (a token, no login): amparo/support/views.py
    path("plan/<str:token>/", plan_shared, name="plan_shared"),
    path("documents/", include("amparo.documents.urls")),
    path("hearings/", include("amparo.hearings.urls")),
    path("playbooks/", include("amparo.playbooks.urls")),
    path("fund/", include("amparo.fund.urls")),
    # Responders' magic links (signed, expiring, no login): amparo/alerts/urls_answer.py
    path("a/", include("amparo.alerts.urls_answer")),
    # The public report form and status page (no login): amparo/reports/urls_public.py
    path("report/", include("amparo.reports.urls_public")),
    path("campaigns/", include("amparo.campaigns.urls")),
    # A petition's page and a case's letters-of-support form (no login, by token)
    path("petition/", include(campaigns.petition_urlpatterns)),
    path("letters/", include(campaigns.letters_urlpatterns)),
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
