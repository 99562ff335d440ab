"""OCPI API routes. Adding a module: route it here and `register_module` it for version details."""

from django.urls import path

from locations.views import LocationsView
from sessions.views import (
    CdrsView,
    ChargingPreferencesView,
    CommandsView,
    SessionsView,
    TokensView,
)
from tariffs.views import TariffsView

from .views import (
    CredentialsView,
    HubClientInfoView,
    VersionDetailsView,
    VersionsView,
    register_module,
)

urlpatterns = [
    path("versions", VersionsView.as_view(), name="ocpi-versions"),
    path("2.2.1", VersionDetailsView.as_view(), name="ocpi-details"),
]

# version_information_endpoint §Endpoint: credentials once, "advised" as SENDER.
register_module("credentials", "SENDER", "credentials")
urlpatterns += [path("2.2.1/credentials", CredentialsView.as_view(), name="ocpi-credentials")]

register_module("locations", "SENDER", "locations")
urlpatterns += [
    path("2.2.1/locations", LocationsView.as_view(), name="ocpi-locations"),
    path("2.2.1/locations/<str:location_id>", LocationsView.as_view()),
    path("2.2.1/locations/<str:location_id>/<str:evse_uid>", LocationsView.as_view()),
    path(
        "2.2.1/locations/<str:location_id>/<str:evse_uid>/<str:connector_id>",
        LocationsView.as_view(),
    ),
]

register_module("tariffs", "SENDER", "tariffs")
urlpatterns += [path("2.2.1/tariffs", TariffsView.as_view(), name="ocpi-tariffs")]

register_module("tokens", "RECEIVER", "tokens")
register_module("commands", "RECEIVER", "commands")
urlpatterns += [
    path("2.2.1/tokens/<str:country_code>/<str:party_id>/<str:uid>", TokensView.as_view()),
    path("2.2.1/commands/<str:command>", CommandsView.as_view()),
    path("2.2.1/sessions/<str:session_id>/charging_preferences", ChargingPreferencesView.as_view()),
]

register_module("hubclientinfo", "RECEIVER", "hubclientinfo")
urlpatterns += [
    path("2.2.1/hubclientinfo/<str:country_code>/<str:party_id>", HubClientInfoView.as_view()),
]

register_module("sessions", "SENDER", "sessions")
register_module("cdrs", "SENDER", "cdrs")
urlpatterns += [
    path("2.2.1/sessions", SessionsView.as_view(), name="ocpi-sessions"),
    path("2.2.1/cdrs", CdrsView.as_view(), name="ocpi-cdrs"),
]
