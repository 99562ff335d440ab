"""Routes of the configuration modules; each domain app routes its own (config/urls.py)."""

from django.urls import path

from .views import (
    CredentialsView,
    HubClientInfoView,
    VersionDetailsView,
    VersionsView,
    register_module,
)

# version_information_endpoint §Endpoint: credentials once, "advised" as SENDER.
register_module("credentials", "SENDER", "credentials")
register_module("hubclientinfo", "RECEIVER", "hubclientinfo")

urlpatterns = [
    path("versions", VersionsView.as_view(), name="ocpi-versions"),
    path("2.2.1", VersionDetailsView.as_view(), name="ocpi-details"),
    path("2.2.1/credentials", CredentialsView.as_view(), name="ocpi-credentials"),
    path("2.2.1/hubclientinfo/<str:country_code>/<str:party_id>", HubClientInfoView.as_view()),
]
