"""Versions and version details endpoints (OCPI 2.2.1 version_information_endpoint)."""

from django.conf import settings

from .api import OcpiView, ocpi_response

VERSION = "2.2.1"

# Modules we implement, with our role: one line per route in roaming/urls.py.
MODULES: list[tuple[str, str, str]] = []  # (identifier, role, url path after /ocpi/2.2.1/)


def register_module(identifier: str, role: str, path: str) -> None:
    if (identifier, role, path) not in MODULES:
        MODULES.append((identifier, role, path))


class VersionsView(OcpiView):
    routing_headers = False
    registration_allowed = True
    module = "versions"

    def get(self, request):
        return ocpi_response([{"version": VERSION, "url": f"{settings.OCPI_BASE_URL}/{VERSION}"}])


class VersionDetailsView(OcpiView):
    routing_headers = False
    registration_allowed = True
    module = "versions"

    def get(self, request):
        endpoints = [
            {
                "identifier": identifier,
                "role": role,
                "url": f"{settings.OCPI_BASE_URL}/{VERSION}/{path}",
            }
            for identifier, role, path in MODULES
        ]
        return ocpi_response({"version": VERSION, "endpoints": endpoints})
