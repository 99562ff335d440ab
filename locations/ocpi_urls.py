"""OCPI routes of this app (included by config/urls.py under /ocpi/) and their module."""

from django.urls import path

from roaming.views import register_module

from .views import LocationsView

register_module("locations", "SENDER", "locations")

urlpatterns = [
    path("2.2.1/locations", LocationsView.as_view(), name="ocpi-locations"),
    path("2.2.1/locations/<str:location_id>", LocationsView.as_view()),
    path("2.2.1/locations/<str:location_id>/<str:evse_uid>", LocationsView.as_view()),
    path(
        "2.2.1/locations/<str:location_id>/<str:evse_uid>/<str:connector_id>",
        LocationsView.as_view(),
    ),
]
