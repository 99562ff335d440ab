"""Versions and version details endpoints (OCPI 2.2.1 version_information_endpoint)."""

from django.conf import settings

from .api import OcpiError, OcpiView, invalid, ocpi_response
from .api.base import CLIENT_ERROR, INVALID_PARAMETERS
from .enums import Role
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
    # transport_and_format §Message Routing: hub client info is a configuration module, routing
    # headers "SHALL NOT be used" with it (a hub that sends them anyway is not refused).
    routing_headers = False

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
            raise invalid("Invalid ClientInfo: " + "; ".join(errors))
        _, created = store_client_info(platform=request.ocpi_platform, data=data)
        # status_codes: 201 when the object was newly created, 200 when it was updated.
        return ocpi_response(http_status=201 if created else 200)


def credentials_errors(data) -> list[str]:
    """OCPI 2.2.1 credentials §Credentials object: token, url, roles (CredentialsRole list)."""
    if not isinstance(data, dict):
        return ["body must be a Credentials object"]
    errors = []
    token = data.get("token")
    if not isinstance(token, str) or not 0 < len(token) <= 64:
        errors.append("token: required string of at most 64 characters")
    elif not all("!" <= char <= "~" for char in token):
        # credentials §Credentials object: printable non-whitespace ASCII (U+0021 to U+007E).
        errors.append("token: only printable ASCII without spaces (U+0021 to U+007E)")
    if not isinstance(data.get("url"), str) or not data["url"].startswith(("http://", "https://")):
        errors.append("url: required URL of their versions endpoint")
    roles = data.get("roles")
    if not isinstance(roles, list) or not roles:
        errors.append("roles: required list of CredentialsRole")
        return errors
    for index, role in enumerate(roles):
        if not isinstance(role, dict):
            errors.append(f"roles[{index}]: must be an object")
            continue
        if role.get("role") not in Role.values:
            errors.append(f"roles[{index}].role: must be one of {', '.join(Role.values)}")
        for name, length in (("country_code", 2), ("party_id", 3)):
            value = role.get(name)
            if not isinstance(value, str) or len(value) != length:
                errors.append(f"roles[{index}].{name}: must be a string of {length} characters")
        if not isinstance(role.get("business_details"), dict) or not role["business_details"].get(
            "name"
        ):
            errors.append(f"roles[{index}].business_details: must be an object with name")
    return errors


def _registration():
    """B2's roaming.registration, imported late so this module loads before it exists."""
    from roaming import registration

    return registration


class CredentialsView(OcpiView):
    """OCPI 2.2.1 credentials module: registration with a token A, then update or unregister.

    roaming.registration may raise OcpiError (e.g. 3001 when their API cannot be used).
    """

    module = "credentials"
    routing_headers = False
    registration_allowed = True

    def registered(self, request) -> bool:
        return not request.ocpi_platform.incoming_token_is_registration

    def valid_body(self, request) -> dict:
        errors = credentials_errors(request.ocpi_json)
        if errors:
            raise invalid("Invalid Credentials: " + "; ".join(errors))
        return request.ocpi_json

    def get(self, request):
        return ocpi_response(_registration().our_credentials(token=request.ocpi_token))

    def post(self, request):
        # credentials §POST: 405 if the client has already been registered.
        if self.registered(request):
            raise OcpiError(CLIENT_ERROR, "Already registered: use PUT", http_status=405)
        return self.accept(request, replace=False)

    def put(self, request):
        # credentials §PUT: 405 if the client has not been registered yet.
        if not self.registered(request):
            raise OcpiError(CLIENT_ERROR, "Not registered: use POST", http_status=405)
        return self.accept(request, replace=True)

    def delete(self, request):
        if not self.registered(request):
            raise OcpiError(CLIENT_ERROR, "Not registered", http_status=405)
        _registration().unregister(platform=request.ocpi_platform)
        return ocpi_response()

    def accept(self, request, *, replace: bool):
        credentials = self.valid_body(request)
        # Gireve §2.1.4: the calls to their versions/details carry this request's correlation id.
        data = _registration().accept_registration(
            platform=request.ocpi_platform,
            credentials=credentials,
            replace=replace,
            correlation_id=request.ocpi_correlation_id,
        )
        return ocpi_response(data)
