from django.urls import path

from . import views_verify

# Mounted at /incidents/verify/ (namespace "reports"). verify_link is public (the token
# is random, not personal); the public status page is mounted under /report/.
urlpatterns = [
    path("<int:pk>/ask/", views_verify.verify_request, name="verify_request"),
    path("mine/<int:pk>/", views_verify.verify_mine, name="verify_mine"),
    path("v/<slug:network>/<str:token>/", views_verify.verify_link, name="verify_link"),
]
