from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from roaming.accounts.views import StaffLoginView
from roaming.api.errors import unknown_endpoint
from roaming.health import health, outbox_health, workers_health
from roaming.metrics import metrics

from .views import home

# The OCPI route table: roaming serves the configuration modules, each app its own module.
ocpi_urlpatterns = [
    path("ocpi/", include("roaming.urls")),
    path("ocpi/", include("locations.ocpi_urls")),
    path("ocpi/", include("tariffs.ocpi_urls")),
    path("ocpi/", include("sessions.ocpi_urls")),
]

urlpatterns = [
    # One login for the admin and /finance/: password, then the second factor (before the
    # admin's own /admin/login/, which it replaces); enrolment and backup codes under /account/.
    path("admin/login/", StaffLoginView.as_view(), name="staff-login"),
    path("", include("roaming.accounts.urls")),
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    path("finance/", include("sessions.finance.urls")),
    path("health", health, name="health"),
    path("health/outbox", outbox_health, name="health-outbox"),
    path("health/workers", workers_health, name="health-workers"),
    path("metrics", metrics, name="metrics"),
    # OpenAPI 3 description of our OCPI endpoints (drf-spectacular).
    path(
        "api/ocpi/schema/",
        SpectacularAPIView.as_view(
            urlconf=ocpi_urlpatterns,
            custom_settings={
                "TITLE": "CPO OCPI 2.2.1 API",
                "VERSION": "2.2.1",
                "COMPONENT_SPLIT_REQUEST": False,  # OCPI objects read and written alike
            },
        ),
        name="ocpi-schema",
    ),
    *ocpi_urlpatterns,
    path("api/csms/v1/", include("sessions.csms.urls")),
    re_path(r"^ocpi(?P<rest>/.*)?$", unknown_endpoint),  # after every OCPI route
]

# OCPI 2.2.1 transport_and_format: answers under /ocpi/ are always in the OCPI envelope.
handler403 = "config.views.permission_denied"  # says what the user may do instead
handler404 = "roaming.api.errors.page_not_found"
handler500 = "roaming.api.errors.server_error"
