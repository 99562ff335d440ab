"""Routes of the CSMS bridge API, its OpenAPI schema and its interactive page (no CDN: the
sidecar serves Swagger UI). config/urls.py includes this under /api/csms/v1/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from sessions.commands.views import CommandResultView

from . import openapi  # noqa: F401 - registers the schema extension of NonNegativeDecimal
from .views import (
    AuthorizeView,
    EvLeftView,
    EvseStatusView,
    MeterValuesView,
    TransactionStartedView,
    TransactionStoppedView,
)

api = [
    path("evse-status", EvseStatusView.as_view(), name="csms-evse-status"),
    path("authorize", AuthorizeView.as_view(), name="csms-authorize"),
    path("transaction-started", TransactionStartedView.as_view(), name="csms-tx-started"),
    path("meter-values", MeterValuesView.as_view(), name="csms-meter-values"),
    path("transaction-stopped", TransactionStoppedView.as_view(), name="csms-tx-stopped"),
    path("ev-left", EvLeftView.as_view(), name="csms-ev-left"),
    path("command-result", CommandResultView.as_view(), name="csms-command-result"),
]

SCHEMA = {
    "TITLE": "CSMS bridge API",
    "DESCRIPTION": "How a charging-station management system reports EVSE status, asks "
    "for badge authorizations and reports transactions (docs/csms-bridge.md).",
    "VERSION": "1",
    # Rules between fields (EVSE naming, a status of its protocol): sessions/csms/openapi.py.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "sessions.csms.openapi.cross_field_rules",
    ],
}

urlpatterns = [
    *api,
    path(
        "schema/",
        SpectacularAPIView.as_view(
            urlconf=[path("api/csms/v1/", include(api))], custom_settings=SCHEMA
        ),
        name="csms-schema",
    ),
    path("docs/", SpectacularSwaggerView.as_view(url_name="csms-schema"), name="csms-docs"),
]
