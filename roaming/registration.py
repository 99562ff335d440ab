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
    their_token = credentials["token"]
    versions = _get(platform, credentials["url"], their_token)
    offered = versions if isinstance(versions, list) else []
    chosen = next((v for v in offered if isinstance(v, dict) and v.get("version") == VERSION), None)
    if chosen is None:
        raise OcpiError(UNSUPPORTED_VERSION, f"No OCPI {VERSION} in {credentials['url']}")
    details = _get(platform, chosen["url"], their_token)
    endpoints = details.get("endpoints") if isinstance(details, dict) else None
    if not isinstance(endpoints, list):
        raise OcpiError(UNABLE_TO_USE_CLIENT_API, "Their version details have no endpoints list")

    token_c = new_token()
    hub_role = next(
        (r for r in credentials["roles"] if r.get("role") == Role.HUB), credentials["roles"][0]
    )
    with transaction.atomic():
        platform = Platform.objects.select_for_update().get(pk=platform.pk)
        platform.versions_url = credentials["url"]
        platform.version = VERSION
        platform.version_details_url = chosen["url"]
        platform.outgoing_token = their_token
        platform.roles = credentials["roles"]
        platform.hub_country_code = hub_role["country_code"]
        platform.hub_party_id = hub_role["party_id"]
        platform.status = Platform.Status.CONNECTED
        platform.set_incoming_token(token_c, registration=False)
        platform.save()
        platform.endpoints.all().delete()
        PlatformEndpoint.objects.bulk_create(
            PlatformEndpoint(
                platform=platform,
                identifier=endpoint["identifier"],
                role=endpoint.get("role", ""),
                url=endpoint["url"],
            )
            for endpoint in endpoints
            if isinstance(endpoint, dict) and endpoint.get("identifier") and endpoint.get("url")
        )
    return our_credentials(token=token_c)


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
    """GET one of their OCPI resources and return its `data`, or raise a 3001 OcpiError."""
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
        response = requests.get(
            url,
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
        method="GET",
        url=url,
        platform=platform,
        module="versions",
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
