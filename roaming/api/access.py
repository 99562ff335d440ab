"""Who may call the OCPI API: token authentication, IP allowlist, routing headers, rate limit.

DRF classes set on `OcpiAPIView` (not REST_FRAMEWORK defaults: the CSMS API has its own).
`RoutingHeaders` sets `request.ocpi_to_operator` (OCPI-to-*) and `request.ocpi_from` (cc, pid).
"""

import base64
import binascii
import ipaddress
import logging
import re
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.throttling import BaseThrottle

from roaming import ocpi_checks as checks
from roaming.models import Operator, Platform, hash_token

from .errors import INVALID_PARAMETERS, OcpiError

logger = logging.getLogger(__name__)


def token_from_header(value: str) -> str:
    """OCPI 2.2.1 §2.2.1: `Token <base64(token)>`; an unencoded token is admitted too."""
    scheme, _, credential = value.partition(" ")
    credential = credential.strip()
    if scheme.lower() != "token" or not credential:
        raise AuthenticationFailed("Missing or malformed Authorization header")
    try:
        decoded = base64.b64decode(credential, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return credential
    return decoded if decoded.isprintable() and decoded else credential


class OcpiTokenAuthentication(BaseAuthentication):
    """The platform whose token C (or, on versions and credentials only, token A) is sent."""

    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        if not header:
            raise AuthenticationFailed("Missing Authorization header")
        token = token_from_header(header)
        raw = header.partition(" ")[2].strip()
        # Try the decoded value first, then the raw one (a raw token may also be valid base64).
        # Looked up by hash, then compared in constant time (Platform.incoming_token_matches).
        for candidate in dict.fromkeys([token, raw]):
            platform = Platform.objects.filter(incoming_token_hash=hash_token(candidate)).first()
            if platform is not None and platform.incoming_token_matches(candidate):
                break
        else:
            raise AuthenticationFailed("Unknown or revoked token")
        if platform.status in (Platform.Status.UNREGISTERED, Platform.Status.SUSPENDED):
            raise AuthenticationFailed(f"Platform is {platform.status}")
        view = request.parser_context["view"]
        if platform.incoming_token_is_registration and not view.registration_allowed:
            raise AuthenticationFailed("Registration token only valid for versions and credentials")
        check_client_subject(request, platform)
        return platform, candidate

    def authenticate_header(self, request) -> str:
        return "Token"  # a 401, not DRF's 403 for schemes without a challenge


def check_client_subject(request, platform: Platform) -> None:
    """Gireve §2.1.2: the client certificate our TLS proxy verified (deploy/nginx), logged, and
    required to match when the platform names one. Only the proxy sets the header (it
    overwrites any the caller sends); gunicorn listens on 127.0.0.1 behind it."""
    subject = request.META.get(settings.OCPI_CLIENT_SUBJECT_HEADER, "")
    if subject:
        logger.info("OCPI call of %s with client certificate %s", platform.name, subject)
    required = platform.required_client_subject
    if required and subject != required:
        logger.warning(
            "OCPI call of %s refused: client certificate %r, required %r",
            platform.name, subject or None, required,
        )
        raise AuthenticationFailed("Client certificate required for this platform")


def client_address(request) -> str:
    """The caller's address: REMOTE_ADDR, or behind OCPI_TRUSTED_PROXIES reverse proxies the
    address the outermost of them saw (X-Forwarded-For, read from the right: entries further
    left were written by the caller and prove nothing)."""
    proxies = settings.OCPI_TRUSTED_PROXIES
    if not proxies:
        return request.META.get("REMOTE_ADDR") or ""
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [address for address in forwarded if address]
    return forwarded[-proxies] if len(forwarded) >= proxies else ""


class IpAllowlist(BasePermission):
    """A platform with an allowlist is only heard from its addresses (Gireve filters by IP)."""

    def has_permission(self, request, view) -> bool:
        networks = request.user.ip_allowlist
        if not networks:
            return True
        try:
            address = ipaddress.ip_address(client_address(request))
        except ValueError:  # e.g. a unix socket, or no proxy header: no address to allow
            raise PermissionDenied("Caller address unknown") from None
        if any(address in ipaddress.ip_network(net, strict=False) for net in networks):
            return True
        raise PermissionDenied("Address not allowed for this token")


# transport_and_format: country code CiString(2), party id CiString(3).
COUNTRY, PARTY = re.compile(r"[A-Z]{2}"), re.compile(r"[A-Z0-9]{3}")
ROUTING_HEADERS = [f"OCPI-{s}-{p}" for s in ("to", "from") for p in ("country-code", "party-id")]
# The ids a URL may carry: (max length, exact); cdr_id is CiString(39) (mod_cdrs). The others
# (location_id, evse_uid, connector_id, uid, session_id, command) are CiString(36)
# (mod_locations, mod_tokens, mod_sessions). roaming.openapi states the same in the schema
# (`url_id_schema`).
URL_ID_LENGTHS = {"country_code": (2, True), "party_id": (3, True), "cdr_id": (39, False)}


def url_id_schema(name: str) -> dict:
    """The JSON Schema of URL segment `name`, as `UrlIds` checks it."""
    length, exact = URL_ID_LENGTHS.get(name, (36, False))
    minimum = length if exact else 1
    return {
        "type": "string",
        "minLength": minimum,
        "maxLength": length,
        "pattern": f"^[{checks.URL_ID_CHARS}]{{{minimum},{length}}}$",
    }


class UrlIds(BasePermission):
    """Object ids in the URL are CiStrings of the URL-safe characters (issue 19.2), at most
    as long as OCPI allows them; 2001 names each bad segment."""

    def has_permission(self, request, view) -> bool:
        bad = []
        for name, value in view.kwargs.items():
            length, exact = URL_ID_LENGTHS.get(name, (36, False))
            problem = checks.url_id_problem(str(value), length, exact=exact)
            if problem:
                bad.append(f"{name}: {problem}")
        if bad:
            raise OcpiError(INVALID_PARAMETERS, f"URL segment {'; '.join(bad)}")
        return True


def party_behind(platform: Platform, country_code: str, party_id: str) -> bool:
    """Can this party speak to us through `platform`?

    A platform speaks for the CredentialsRoles it presented. A hub speaks for every party
    connected to it (OCPI 2.2.1 transport_and_format §Message Routing; Gireve §2.1.6: IOP
    presents only its HUB role and forwards for every operator behind it), so any well-formed
    party is accepted from a hub: the hub itself checks who may talk to whom (Gireve §2.1.5).
    """
    party = (country_code.upper(), party_id.upper())
    # roles come from their credentials (checked) but can be edited in the admin as JSON.
    roles = [r for r in platform.roles if isinstance(r, dict)] if platform.roles else []
    if party in {
        (str(r.get("country_code")).upper(), str(r.get("party_id")).upper()) for r in roles
    }:
        return True
    is_hub = any(role.get("role") == "HUB" for role in roles)
    return is_hub and bool(COUNTRY.fullmatch(party[0]) and PARTY.fullmatch(party[1]))


class RoutingHeaders(BasePermission):
    """Gireve §2.1.3: OCPI-from/to headers on every module but the configuration ones
    (`view.routing_headers = False`): OCPI-to names one of our operators, OCPI-from a party
    behind the calling platform."""

    def has_permission(self, request, view) -> bool:
        if not view.routing_headers:
            return True
        values = {name: request.headers.get(name, "").strip().upper() for name in ROUTING_HEADERS}
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise OcpiError(INVALID_PARAMETERS, f"Missing routing headers: {', '.join(missing)}")
        malformed = [
            name
            for name, value in values.items()
            if not (COUNTRY if name.endswith("country-code") else PARTY).fullmatch(value)
        ]
        if malformed:
            raise OcpiError(
                INVALID_PARAMETERS,
                "Malformed routing headers (country code: 2 letters, party id: 3 letters or "
                f"digits): {', '.join(malformed)}",
            )
        to_cc, to_pid, from_cc, from_pid = values.values()
        operator = Operator.objects.party(to_cc, to_pid).first()
        if operator is None:
            raise OcpiError(INVALID_PARAMETERS, "OCPI-to-* does not name one of our operators")
        if not party_behind(request.user, from_cc, from_pid):
            raise OcpiError(INVALID_PARAMETERS, "OCPI-from-* is not a party behind this platform")
        request.ocpi_to_operator, request.ocpi_from = operator, (from_cc, from_pid)
        return True


def check_rate(token: str) -> bool:
    """Count one request of `token` in the shared cache; False beyond OCPI_RATE_LIMIT per
    OCPI_RATE_WINDOW_SECONDS. A cache outage must not take the OCPI API down: then True."""
    limit = settings.OCPI_RATE_LIMIT
    if not limit:
        return True
    window = settings.OCPI_RATE_WINDOW_SECONDS
    key = f"ocpi-rate:{hash_token(token)}:{int(time.time() // window)}"
    try:
        cache.add(key, 0, timeout=window * 2)
        count = cache.incr(key)
    except Exception:  # noqa: BLE001 - fail open, and say so
        logger.warning("OCPI rate limit not checked: cache unavailable", exc_info=True)
        return True
    return count <= limit


class TokenRateThrottle(BaseThrottle):
    """The per-token rate limit, counted in the cache every web process shares (429)."""

    def allow_request(self, request, view) -> bool:
        return check_rate(request.auth)

    def wait(self) -> float:
        window = settings.OCPI_RATE_WINDOW_SECONDS
        return window - time.time() % window
