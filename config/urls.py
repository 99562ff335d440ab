from django.contrib import admin
from django.urls import include, path, re_path

from roaming.api.errors import unknown_endpoint
from roaming.health import health, outbox_health
from roaming.metrics import metrics

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health", health, name="health"),
    path("health/outbox", outbox_health, name="health-outbox"),
    path("metrics", metrics, name="metrics"),
    path("api/csms/v1/", include("sessions.csms.urls")),
    path("ocpi/", include("roaming.urls")),
    re_path(r"^ocpi(?P<rest>/.*)?$", unknown_endpoint),  # after every OCPI route
]

# OCPI 2.2.1 transport_and_format: answers under /ocpi/ are always in the OCPI envelope.
handler404 = "roaming.api.errors.page_not_found"
handler500 = "roaming.api.errors.server_error"
