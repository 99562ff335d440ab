"""The OcpiView base class: every rule of OCPI 2.2.1 transport_and_format in one place."""

import base64
import binascii
import ipaddress
import json
import logging
import re
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import HttpResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from roaming import message_log, ocpi_json
from roaming.models import MessageLog, Operator, Platform, hash_token
from roaming.ocpi_time import format_datetime

logger = logging.getLogger(__name__)

# OCPI 2.2.1 status_codes
SUCCESS = 1000
CLIENT_ERROR = 2000
INVALID_PARAMETERS = 2001
NOT_ENOUGH_INFORMATION = 2002
UNKNOWN_LOCATION = 2003
UNKNOWN_TOKEN = 2004
SERVER_ERROR = 3000


class OcpiError(Exception):
    def __init__(self, ocpi_status: int, message: str, *, http_status: int = 400):
        super().__init__(message)
        self.ocpi_status = ocpi_status
        self.message = message
        self.http_status = http_status


def invalid(message: str) -> OcpiError:
    """2001 for a request that reached the OCPI layer: status_codes says that to a request in
    valid JSON, for an existing resource, from an authenticated sender, "an HTTP error status
    code MUST NOT be returned" (and a hub retries what did not get a 2xx, Gireve §3.5.5,
    while a 2001 is a verdict on the data). Malformed JSON stays HTTP 400."""
    return OcpiError(INVALID_PARAMETERS, message, http_status=200)


def envelope(data=None, *, status_code=SUCCESS, message="Success") -> dict:
    """OCPI 2.2.1 transport_and_format §Response format."""
    body = {"status_code": status_code, "status_message": message}
    if data is not None:
        body["data"] = data
    body["timestamp"] = format_datetime(timezone.now())
    return body


def ocpi_response(
    data=None, *, http_status=200, status_code=SUCCESS, message="Success", headers=None
):
    # Exact numbers (Decimal amounts written digit for digit), UTF-8 as OCPI requires.
    return HttpResponse(
        ocpi_json.dumps(envelope(data, status_code=status_code, message=message)),
        status=http_status,
        headers=headers,
        content_type="application/json",
    )


def error_response(error: OcpiError) -> HttpResponse:
    return ocpi_response(
        http_status=error.http_status, status_code=error.ocpi_status, message=error.message
    )


def token_from_header(value: str) -> str:
    """OCPI 2.2.1 §2.2.1: `Token <base64(token)>`; an unencoded token is admitted too."""
    scheme, _, credential = value.partition(" ")
    credential = credential.strip()
    if scheme.lower() != "token" or not credential:
        raise OcpiError(CLIENT_ERROR, "Missing or malformed Authorization header", http_status=401)
    try:
        decoded = base64.b64decode(credential, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return credential
    return decoded if decoded.isprintable() and decoded else credential


def authenticate(request) -> tuple[Platform, str]:
    header = request.headers.get("Authorization", "")
    if not header:
        raise OcpiError(CLIENT_ERROR, "Missing Authorization header", http_status=401)
    token = token_from_header(header)
    raw = header.partition(" ")[2].strip()
    # Try the decoded value first, then the raw one (a raw token may also be valid base64).
    for candidate in dict.fromkeys([token, raw]):
        platform = Platform.objects.filter(incoming_token_hash=hash_token(candidate)).first()
        if platform is not None and platform.incoming_token_matches(candidate):
            return platform, candidate
    raise OcpiError(CLIENT_ERROR, "Unknown or revoked token", http_status=401)


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


def check_ip(platform: Platform, request) -> None:
    if not platform.ip_allowlist:
        return
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:  # e.g. a unix socket, or no proxy header: no address to allow
        raise OcpiError(CLIENT_ERROR, "Caller address unknown", http_status=403) from None
    for network in platform.ip_allowlist:
        if address in ipaddress.ip_network(network, strict=False):
            return
    raise OcpiError(CLIENT_ERROR, "Address not allowed for this token", http_status=403)


def check_rate(token: str) -> None:
    limit = settings.OCPI_RATE_LIMIT
    if not limit:
        return
    window = settings.OCPI_RATE_WINDOW_SECONDS
    key = f"ocpi-rate:{hash_token(token)}:{int(time.time() // window)}"
    try:
        cache.add(key, 0, timeout=window * 2)
        count = cache.incr(key)
    except Exception:  # noqa: BLE001 - a cache outage must not take the OCPI API down
        logger.warning("OCPI rate limit not checked: cache unavailable", exc_info=True)
        return
    if count > limit:
        raise OcpiError(CLIENT_ERROR, "Too many requests", http_status=429)


def too_large(request) -> bool:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > settings.OCPI_MAX_BODY_BYTES
    except ValueError:
        return True


def request_body(request) -> bytes:
    """The body, or a 413: also when it came without Content-Length or beyond Django's own
    DATA_UPLOAD_MAX_MEMORY_SIZE (which would otherwise surface as a 500)."""
    try:
        body = request.body
    except RequestDataTooBig:
        body = None
    if body is None or len(body) > settings.OCPI_MAX_BODY_BYTES:
        raise OcpiError(CLIENT_ERROR, "Request body too large", http_status=413)
    return body


def _roles(platform: Platform) -> list[dict]:
    # roles come from their credentials (checked) but can be edited in the admin as JSON.
    roles = platform.roles if isinstance(platform.roles, list) else []
    return [role for role in roles if isinstance(role, dict)]


def party_roles(platform: Platform) -> set[tuple[str, str]]:
    return {
        (str(role.get("country_code", "")).upper(), str(role.get("party_id", "")).upper())
        for role in _roles(platform)
    }


def is_hub(platform: Platform) -> bool:
    return any(role.get("role") == "HUB" for role in _roles(platform))


def party_behind(platform: Platform, country_code: str, party_id: str) -> bool:
    """Can this party speak to us through `platform`?

    A platform speaks for the CredentialsRoles it presented. A hub speaks for every party
    connected to it (OCPI 2.2.1 transport_and_format §Message Routing; Gireve §2.1.6: IOP
    presents only its HUB role and forwards for every operator behind it), so any well-formed
    party is accepted from a hub: the hub itself checks who may talk to whom (Gireve §2.1.5).
    """
    party = (country_code.upper(), party_id.upper())
    if party in party_roles(platform):
        return True
    return is_hub(platform) and bool(
        re.fullmatch(r"[A-Z]{2}", party[0]) and re.fullmatch(r"[A-Z0-9]{3}", party[1])
    )


# OCPI clients authenticate with a token, never a browser cookie: CSRF does not apply.
@method_decorator(csrf_exempt, name="dispatch")
class OcpiView(View):
    """Authenticates, checks routing headers, answers in the envelope and logs the exchange."""

    module = ""
    routing_headers = True
    registration_allowed = False
    # No OPTIONS: Django's answer to it is not an OCPI envelope (transport_and_format).
    http_method_names = ["get", "post", "put", "patch", "delete", "head"]

    def dispatch(self, request, *args, **kwargs):
        started = time.monotonic()
        request_id, correlation_id = transport_ids(request)
        request.ocpi_platform = None
        # Gireve §2.1.4: every request this one causes carries the same correlation id.
        request.ocpi_correlation_id = correlation_id
        try:
            response = self.handle(request, *args, **kwargs)
        except OcpiError as error:
            response = error_response(error)
        except ValidationError as error:
            # A model rule our request checks missed: still the caller's data, still a 2001
            # (services write in one transaction: nothing was saved).
            response = error_response(invalid("Invalid data: " + "; ".join(error.messages)))
        except Exception as error:  # noqa: BLE001 - never an HTML 500 on the OCPI API
            if settings.DEBUG_PROPAGATE_EXCEPTIONS:
                raise
            logger.exception("OCPI endpoint failed")
            response = error_response(
                OcpiError(SERVER_ERROR, f"Internal error: {type(error).__name__}", http_status=500)
            )
        add_transport_headers(response, request, request_id, correlation_id)
        try:
            log_exchange(
                request, response, self.module, kwargs, started, request_id, correlation_id
            )
        except Exception:  # noqa: BLE001 - the answer is given even when the log cannot be
            logger.exception("OCPI exchange not logged")
        return response

    def handle(self, request, *args, **kwargs):
        if request.method.lower() not in self.http_method_names or not hasattr(
            self, request.method.lower()
        ):
            raise OcpiError(CLIENT_ERROR, f"Method {request.method} not allowed", http_status=405)
        if too_large(request):
            raise OcpiError(CLIENT_ERROR, "Request body too large", http_status=413)
        platform, token = authenticate(request)
        request.ocpi_platform = platform
        request.ocpi_token = token
        check_ip(platform, request)
        check_rate(token)
        if platform.status in (Platform.Status.UNREGISTERED, Platform.Status.SUSPENDED):
            raise OcpiError(CLIENT_ERROR, f"Platform is {platform.status}", http_status=401)
        if platform.incoming_token_is_registration and not self.registration_allowed:
            raise OcpiError(
                CLIENT_ERROR,
                "Registration token only valid for versions and credentials",
                http_status=401,
            )
        if self.routing_headers:
            self.check_routing(request, platform)
        check_url_segments(kwargs)
        request.ocpi_json = self.parse_body(request)
        return getattr(self, request.method.lower())(request, *args, **kwargs)

    def check_routing(self, request, platform: Platform) -> None:
        """Gireve §2.1.3: OCPI-from/to headers on every module but versions and credentials."""
        names = [
            "OCPI-to-country-code",
            "OCPI-to-party-id",
            "OCPI-from-country-code",
            "OCPI-from-party-id",
        ]
        values = {name: request.headers.get(name, "").strip().upper() for name in names}
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise OcpiError(INVALID_PARAMETERS, f"Missing routing headers: {', '.join(missing)}")
        # transport_and_format: country code CiString(2), party id CiString(3).
        malformed = [
            name
            for name, value in values.items()
            if not PARTY_PART[name.rsplit("-", 2)[-2]].fullmatch(value)
        ]
        if malformed:
            raise OcpiError(
                INVALID_PARAMETERS,
                "Malformed routing headers (country code: 2 letters, party id: 3 letters or "
                f"digits): {', '.join(malformed)}",
            )
        operator = Operator.objects.party(
            values["OCPI-to-country-code"], values["OCPI-to-party-id"]
        ).first()
        if operator is None:
            raise OcpiError(INVALID_PARAMETERS, "OCPI-to-* does not name one of our operators")
        sender = (values["OCPI-from-country-code"], values["OCPI-from-party-id"])
        if not party_behind(platform, *sender):
            raise OcpiError(INVALID_PARAMETERS, "OCPI-from-* is not a party behind this platform")
        request.ocpi_to_operator = operator
        request.ocpi_from = sender

    def parse_body(self, request):
        body = request_body(request)
        if request.method not in ("POST", "PUT", "PATCH") or not body:
            return None
        # OCPI 2.2.1 transport_and_format: bodies are JSON.
        if request.content_type not in ("application/json", ""):
            raise OcpiError(CLIENT_ERROR, "Content-Type must be application/json", http_status=415)
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise OcpiError(INVALID_PARAMETERS, f"Malformed JSON body: {error}") from error
        if _has_nul(data):
            # types: OCPI strings are printable; PostgreSQL cannot store a NUL either.
            raise invalid("Body has a NUL character (\\u0000) in a string: not printable")
        return data


PARTY_PART = {"country": re.compile(r"[A-Z]{2}"), "party": re.compile(r"[A-Z0-9]{3}")}
URL_SEGMENT = re.compile(r"[\x21-\x7e]{1,64}")  # types §CiString: printable ASCII


def check_url_segments(kwargs: dict) -> None:
    """Object ids in the URL are CiStrings: printable ASCII (types §CiString)."""
    bad = [name for name, value in kwargs.items() if not URL_SEGMENT.fullmatch(str(value))]
    if bad:
        raise OcpiError(
            INVALID_PARAMETERS, f"URL segment {', '.join(bad)}: printable ASCII, 1 to 64 characters"
        )


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def transport_ids(request) -> tuple[str, str]:
    """Gireve §2.1.4: their X-Request-ID / X-Correlation-ID, or fresh ones."""
    return (
        request.headers.get("X-Request-ID") or str(uuid.uuid4()),
        request.headers.get("X-Correlation-ID") or str(uuid.uuid4()),
    )


def add_transport_headers(response, request, request_id, correlation_id) -> None:
    """Gireve §2.1.4: X-Request-ID / X-Correlation-ID on every answer; routing headers swapped."""
    response["X-Request-ID"] = request_id
    response["X-Correlation-ID"] = correlation_id
    for ours, theirs in (("from", "to"), ("to", "from")):
        for part in ("country-code", "party-id"):
            value = request.headers.get(f"OCPI-{theirs}-{part}")
            if value:
                response[f"OCPI-{ours}-{part}"] = value


def log_exchange(request, response, module, kwargs, started, request_id, correlation_id) -> None:
    try:
        ocpi_status = json.loads(response.content).get("status_code")
    except (ValueError, AttributeError):
        ocpi_status = None
    # The party to search by: the owner named in a client-owned object URL (the eMSP of a
    # token, even when the hub broadcasts it), else the OCPI-from party.
    owner = (kwargs.get("country_code"), kwargs.get("party_id"))
    sender = owner if all(owner) else getattr(request, "ocpi_from", None)
    message_log.record(
        direction=MessageLog.Direction.INBOUND,
        platform=request.ocpi_platform,
        method=request.method,
        url=request.get_full_path(),
        module=module,
        request_headers=request.headers,
        request_body=_loggable_body(request),
        http_status=response.status_code,
        ocpi_status=ocpi_status,
        response_body=response.content,
        duration_ms=int((time.monotonic() - started) * 1000),
        request_id=request_id,
        correlation_id=correlation_id,
        object_id="/".join(str(value) for value in kwargs.values()),
        party=f"{sender[0]}*{sender[1]}".upper() if sender else "",
    )


def _loggable_body(request) -> bytes:
    try:
        return request_body(request) if not too_large(request) else b""
    except OcpiError:
        return b""
