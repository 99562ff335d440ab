"""Versions and version details endpoints (OCPI 2.2.1 version_information_endpoint)."""

from django.conf import settings

from .api import OcpiError, OcpiView, ocpi_response
from .api.base import INVALID_PARAMETERS
from .hub_client_info import client_info_errors, client_info_to_ocpi, store_client_info
from .models import HubClientInfo

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


class HubClientInfoView(OcpiView):
    """OCPI 2.2.1 mod_hub_client_info §Receiver Interface (the hub owns these objects)."""

    module = "hubclientinfo"

    def get(self, request, country_code, party_id):
        info = (
            HubClientInfo.objects.filter(
                platform=request.ocpi_platform,
                country_code__iexact=country_code,
                party_id__iexact=party_id,
            )
            .order_by("-last_updated")
            .first()
        )
        if info is None:
            raise OcpiError(INVALID_PARAMETERS, "Unknown ClientInfo", http_status=404)
        return ocpi_response(client_info_to_ocpi(info))

    def put(self, request, country_code, party_id):
        data = request.ocpi_json
        errors = client_info_errors(data)
        if not errors and (data["country_code"].upper(), data["party_id"].upper()) != (
            country_code.upper(),
            party_id.upper(),
        ):
            errors.append("country_code/party_id: do not match the URL")
        if errors:
            raise OcpiError(INVALID_PARAMETERS, "Invalid ClientInfo: " + "; ".join(errors))
        store_client_info(platform=request.ocpi_platform, data=data)
        return ocpi_response()
