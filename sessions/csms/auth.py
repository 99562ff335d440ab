"""API-key authentication of a CSMS: `Authorization: Bearer csms_…` (docs/csms-bridge.md)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from .lookups import csms_for_key
from .models import Csms


class CsmsCaller:
    """request.user for a CSMS: authenticated, no Django user behind it."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, csms: Csms):
        self.csms = csms

    def __str__(self) -> str:
        return f"CSMS {self.csms}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        if not header:
            return None
        scheme, _, key = header.partition(" ")
        if scheme != self.keyword or not key.strip():
            raise exceptions.AuthenticationFailed("Send Authorization: Bearer <API key>.")
        csms = csms_for_key(key.strip())  # cached: no query per event
        if csms is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked API key.")
        return CsmsCaller(csms), csms

    def authenticate_header(self, request):
        # A 401 (not 403) for a missing or wrong key: DRF needs a WWW-Authenticate value.
        return f'{self.keyword} realm="csms"'


class IsCsms(permissions.BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.auth, Csms)


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes the key (registered by being defined)."""

    target_class = ApiKeyAuthentication
    name = "csmsApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "csms_… key from admin"}
