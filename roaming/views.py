"""Versions, version details, credentials and hub client info (the configuration modules)."""

from django.conf import settings
from rest_framework.response import Response

from . import registration
from .api import OcpiAPIView, OcpiError, invalid
from .api.errors import CLIENT_ERROR, INVALID_PARAMETERS
from .credentials import Credentials
from .hub_client_info import ClientInfo, client_info_to_ocpi, store_client_info
from .models import HubClientInfo

VERSION = "2.2.1"

# Modules we implement, with our role: each app registers its own in its ocpi_urls.py.
MODULES: list[tuple[str, str, str]] = []  # (identifier, role, url path after /ocpi/2.2.1/)


def register_module(identifier: str, role: str, path: str) -> None:
    if (identifier, role, path) not in MODULES:
        MODULES.append((identifier, role, path))


class VersionsView(OcpiAPIView):
    routing_headers = False
    registration_allowed = True
    module = "versions"

    def get(self, request):
        return Response([{"version": VERSION, "url": f"{settings.OCPI_BASE_URL}/{VERSION}"}])


class VersionDetailsView(VersionsView):
    def get(self, request):
        endpoints = [
            {
                "identifier": identifier,
                "role": role,
                "url": f"{settings.OCPI_BASE_URL}/{VERSION}/{path}",
            }
            for identifier, role, path in MODULES
        ]
        return Response({"version": VERSION, "endpoints": endpoints})


class HubClientInfoView(OcpiAPIView):
    """OCPI 2.2.1 mod_hub_client_info §Receiver Interface (the hub owns these objects)."""

    module = "hubclientinfo"
    request_bodies = {"put": ClientInfo}
    # transport_and_format §Message Routing: hub client info is a configuration module, routing
    # headers "SHALL NOT be used" with it (a hub that sends them anyway is not refused).
    routing_headers = False

    def get(self, request, country_code, party_id):
        info = (
            HubClientInfo.objects.filter(
                platform=request.user,
                country_code__iexact=country_code,
                party_id__iexact=party_id,
            )
            .order_by("-last_updated")
            .first()
        )
        if info is None:
            raise OcpiError(INVALID_PARAMETERS, "Unknown ClientInfo", http_status=404)
        return Response(client_info_to_ocpi(info))

    def put(self, request, country_code, party_id):
        data = ClientInfo.read(request.data)
        if (
            f"{data['country_code']}*{data['party_id']}".upper()
            != f"{country_code}*{party_id}".upper()
        ):
            raise invalid("Invalid ClientInfo: country_code/party_id: do not match the URL")
        _, created = store_client_info(platform=request.user, data=data)
        # status_codes: 201 when the object was newly created, 200 when it was updated.
        return Response(status=201 if created else 200)


class CredentialsView(OcpiAPIView):
    """OCPI 2.2.1 credentials module: registration with a token A, then update or unregister.

    roaming.registration may raise OcpiError (e.g. 3001 when their API cannot be used).
    """

    module = "credentials"
    request_bodies = {"post": Credentials, "put": Credentials}
    routing_headers = False
    registration_allowed = True

    def get(self, request):
        return Response(registration.our_credentials(token=request.auth))

    def post(self, request):
        # credentials §POST: 405 if the client has already been registered.
        if not request.user.incoming_token_is_registration:
            raise OcpiError(CLIENT_ERROR, "Already registered: use PUT", http_status=405)
        return self.accept(request, replace=False)

    def put(self, request):
        # credentials §PUT: 405 if the client has not been registered yet.
        if request.user.incoming_token_is_registration:
            raise OcpiError(CLIENT_ERROR, "Not registered: use POST", http_status=405)
        return self.accept(request, replace=True)

    def delete(self, request):
        if request.user.incoming_token_is_registration:
            raise OcpiError(CLIENT_ERROR, "Not registered", http_status=405)
        registration.unregister(platform=request.user)
        return Response()

    def accept(self, request, *, replace: bool):
        credentials = Credentials.read(request.data)
        # Gireve §2.1.4: the calls to their versions/details carry this request's correlation id.
        data = registration.accept_registration(
            platform=request.user,
            credentials=credentials,
            replace=replace,
            correlation_id=self.correlation_id,
        )
        return Response(data)
