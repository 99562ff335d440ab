"""OCPI routes of this app (included by config/urls.py under /ocpi/) and their modules."""

from django.urls import path

from roaming.views import register_module

from .commands.views import CommandsView
from .views import CdrsView, ChargingPreferencesView, SessionsView, TokensView

register_module("tokens", "RECEIVER", "tokens")
register_module("commands", "RECEIVER", "commands")
register_module("sessions", "SENDER", "sessions")
register_module("cdrs", "SENDER", "cdrs")

urlpatterns = [
    path("2.2.1/tokens/<str:country_code>/<str:party_id>/<str:uid>", TokensView.as_view()),
    path("2.2.1/commands/<str:command>", CommandsView.as_view()),
    path("2.2.1/sessions/<str:session_id>/charging_preferences", ChargingPreferencesView.as_view()),
    path("2.2.1/sessions", SessionsView.as_view(), name="ocpi-sessions"),
    path("2.2.1/cdrs", CdrsView.as_view(), name="ocpi-cdrs"),
]
