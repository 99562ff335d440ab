"""Credentials handshake (OCPI 2.2.1 credentials module), the FromIOP way Gireve uses (§3.4).

We issue a token A (`invite`); the hub POSTs its credentials with it; we read its versions
and version details with the token it gave us, store its endpoints, and answer with a
fresh token C. From then on token A is refused everywhere.
"""

import base64
import time
import uuid

import requests
from django.conf import settings
from django.db import transaction

from locations.models import Operator

from . import message_log
from .api import OcpiError
from .enums import Role
from .models import Platform, PlatformEndpoint, new_token

VERSION = "2.2.1"
UNABLE_TO_USE_CLIENT_API = 3001  # status_codes: 3001 Unable to use the client's API.
UNSUPPORTED_VERSION = 3002  # status_codes: 3002 Unsupported version.


def our_credentials(*, token: str) -> dict:
    """Our Credentials object: one CPO role per operator we host (multi-tenant, §2.1.5)."""
    return {
        "token": token,
        "url": f"{settings.OCPI_BASE_URL}/versions",
        "roles": [
            {
                "role": Role.CPO,
                "business_details": operator.business_details(),
                "party_id": operator.party_id,
                "country_code": operator.country_code,
            }
            for operator in Operator.objects.order_by("country_code", "party_id")
        ],
    }


def invite(*, name: str) -> tuple[Platform, str]:
    """Create (or re-invite) a platform and return the one-time token A to give it."""
    token_a = new_token()
    with transaction.atomic():
        platform, _ = Platform.objects.select_for_update().get_or_create(name=name)
        platform.status = Platform.Status.INVITED
        platform.set_incoming_token(token_a, registration=True)
        platform.save()
    return platform, token_a


def accept_registration(*, platform: Platform, credentials: dict, replace: bool) -> dict:
    """Register (POST) or update (PUT) a platform from the credentials it sent us.

    Their API is read before anything is written, so a failure changes nothing.
    """
    details_url, endpoints = _read_version_details(
        platform, credentials["url"], credentials["token"]
    )
    token_c = new_token()
    with transaction.atomic():
        platform = _store_connection(
            platform, credentials["url"], details_url, credentials, endpoints
        )
        platform.set_incoming_token(token_c, registration=False)
        platform.save()
    return our_credentials(token=token_c)


def register_to(*, platform: Platform, versions_url: str, token_a: str) -> Platform:
    """Register ToIOP: read their versions with token A, POST ours with a fresh token B."""
    details_url, endpoints = _read_version_details(platform, versions_url, token_a)
    credentials_url = next((e["url"] for e in endpoints if e["identifier"] == "credentials"), None)
    if credentials_url is None:
        raise OcpiError(UNABLE_TO_USE_CLIENT_API, "Their version details have no credentials")
    # They may read our versions with token B while handling our POST: make it valid first.
    token_b = new_token()
    previous = (platform.incoming_token_hash, platform.incoming_token_is_registration)
    token_fields = ["incoming_token_hash", "incoming_token_is_registration"]
    platform.set_incoming_token(token_b, registration=True)
    platform.save(update_fields=token_fields)
    try:
        theirs = _call(platform, "POST", credentials_url, token_a, our_credentials(token=token_b))
        if not isinstance(theirs, dict) or not theirs.get("token") or not theirs.get("roles"):
            raise OcpiError(UNABLE_TO_USE_CLIENT_API, "Their credentials answer is incomplete")
    except OcpiError:
        platform.incoming_token_hash, platform.incoming_token_is_registration = previous
        platform.save(update_fields=token_fields)
        raise
    with transaction.atomic():
        platform = _store_connection(platform, versions_url, details_url, theirs, endpoints)
        platform.incoming_token_is_registration = False
        platform.save()
    return platform


def _read_version_details(platform: Platform, versions_url: str, token: str):
    """(details URL, endpoints) of their 2.2.1, read with `token`; OcpiError if unusable."""
    versions = _get(platform, versions_url, token)
    offered = versions if isinstance(versions, list) else []
    chosen = next((v for v in offered if isinstance(v, dict) and v.get("version") == VERSION), None)
    if chosen is None:
        raise OcpiError(UNSUPPORTED_VERSION, f"No OCPI {VERSION} in {versions_url}")
    details = _get(platform, chosen["url"], token)
    endpoints = details.get("endpoints") if isinstance(details, dict) else None
    if not isinstance(endpoints, list):
        raise OcpiError(UNABLE_TO_USE_CLIENT_API, "Their version details have no endpoints list")
    usable = [e for e in endpoints if isinstance(e, dict) and e.get("identifier") and e.get("url")]
    return chosen["url"], usable


def _store_connection(platform, versions_url, details_url, credentials, endpoints) -> Platform:
    """Save what their credentials and version details told us (caller holds a transaction)."""
    roles = credentials["roles"]
    hub_role = next((r for r in roles if r.get("role") == Role.HUB), roles[0])
    platform = Platform.objects.select_for_update().get(pk=platform.pk)
    platform.versions_url = versions_url
    platform.version = VERSION
    platform.version_details_url = details_url
    platform.outgoing_token = credentials["token"]
    platform.roles = roles
    platform.hub_country_code = hub_role.get("country_code", "")
    platform.hub_party_id = hub_role.get("party_id", "")
    platform.status = Platform.Status.CONNECTED
    platform.endpoints.all().delete()
    PlatformEndpoint.objects.bulk_create(
        PlatformEndpoint(
            platform=platform, identifier=e["identifier"], role=e.get("role", ""), url=e["url"]
        )
        for e in endpoints
    )
    return platform


def unregister(*, platform: Platform) -> None:
    """Forget the connection: both tokens stop working, endpoints are dropped."""
    with transaction.atomic():
        platform = Platform.objects.select_for_update().get(pk=platform.pk)
        platform.status = Platform.Status.UNREGISTERED
        platform.incoming_token_hash = ""
        platform.incoming_token_is_registration = True
        platform.outgoing_token = ""
        platform.save()
        platform.endpoints.all().delete()


def _get(platform: Platform, url: str, token: str):
    return _call(platform, "GET", url, token)


def _call(platform: Platform, method: str, url: str, token: str, body: dict | None = None):
    """Call one of their OCPI resources and return its `data`, or raise a 3001 OcpiError."""
    encoded = base64.b64encode(token.encode()).decode()
    request_id = str(uuid.uuid4())
    headers = {
        "Authorization": f"Token {encoded}",
        "X-Request-ID": request_id,
        "X-Correlation-ID": request_id,
    }
    started = time.monotonic()
    response = error = None
    try:
        response = requests.request(
            method,
            url,
            json=body,
            headers=headers,
            timeout=(platform.connect_timeout, platform.read_timeout),
            verify=platform.verify_tls,
        )
        body = response.json()
    except (requests.RequestException, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"
        body = None
    message_log.record(
        direction="OUT",
        method=method,
        url=url,
        platform=platform,
        module="credentials" if body is not None else "versions",
        request_headers=headers,
        http_status=response.status_code if response is not None else None,
        ocpi_status=body.get("status_code") if isinstance(body, dict) else None,
        response_body=response.text if response is not None else "",
        duration_ms=int((time.monotonic() - started) * 1000),
        request_id=request_id,
        correlation_id=request_id,
        error=error or "",
    )
    if error or not response.ok or not isinstance(body, dict) or body.get("status_code") != 1000:
        reason = error or f"HTTP {response.status_code}, OCPI {body and body.get('status_code')}"
        raise OcpiError(UNABLE_TO_USE_CLIENT_API, f"Unable to use {url}: {reason}")
    return body.get("data")
