"""Credentials handshake (OCPI 2.2.1 credentials module) in both directions, update, unregister.

Register FromIOP (the way Gireve uses, §3.4): we issue a token A (`invite`); the hub POSTs its
credentials with it; we read its versions and details with the token it gave us, store its
endpoints and answer with a fresh token C (`accept_registration`). Token A is then refused.

Register ToIOP: given their versions URL and their token A we read their API, POST our
credentials with a fresh token B and keep the token C they answer (`register_to`).

Their API is always read before anything is written, so a failure changes nothing.

A registration, either way, queues the initial full push in the transaction that stores the
connection (Gireve §3.3: Push EVCI once connected; tariffs, then locations: `initial_push`),
audited. A platform forgotten locally (unregistered) registers again like a new one: while
it reads our versions during the handshake, it is INVITED (issue 19.5: it was refused 401).
"""

import functools
import uuid
from contextvars import ContextVar

from django.conf import settings
from django.db import transaction

from roaming.models import Operator

from .api import OcpiError
from .client import OcpiClient
from .enums import ModuleID, Role
from .models import Platform, PlatformEndpoint, new_token
from .resync import initial_push

VERSION = "2.2.1"
SERVER_ERROR = 3000
UNABLE_TO_USE_CLIENT_API = 3001  # status_codes: 3001 Unable to use the client's API.
UNSUPPORTED_VERSION = 3002  # status_codes: 3002 Unsupported version.
NO_MATCHING_ENDPOINTS = 3003  # status_codes: 3003 No matching endpoints.
# Modules a CPO talks with a hub about; at least one must be offered (credentials: 3003).
MUTUAL_MODULES = {
    ModuleID.LOCATIONS,
    ModuleID.SESSIONS,
    ModuleID.CDRS,
    ModuleID.TARIFFS,
    ModuleID.TOKENS,
    ModuleID.COMMANDS,
    ModuleID.HUB_CLIENT_INFO,
}


class RegistrationError(OcpiError):
    """A registration step that cannot be done; nothing was changed.

    Answered to a credentials POST/PUT with HTTP 200: the request reached the OCPI layer
    (status_codes: no HTTP error status then; credentials §Errors during registration: 3001).
    """

    def __init__(self, ocpi_status: int, message: str, *, http_status: int = 200):
        super().__init__(ocpi_status, message, http_status=http_status)


_correlation_id: ContextVar[str | None] = ContextVar("registration_correlation", default=None)


def _traced(function):
    """One X-Correlation-ID for every call a step makes (Gireve §2.1.4); callers may pass the
    inbound request's one as `correlation_id=`."""

    @functools.wraps(function)
    def wrapper(*args, correlation_id: str | None = None, **kwargs):
        reset = _correlation_id.set(correlation_id or str(uuid.uuid4()))
        try:
            return function(*args, **kwargs)
        finally:
            _correlation_id.reset(reset)

    return wrapper


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
        if platform.status == Platform.Status.CONNECTED:
            # Gireve §3.4: to change a connection, unregister then register again.
            raise RegistrationError(
                SERVER_ERROR, f"{name} is connected: unregister it before issuing a token A"
            )
        platform.status = Platform.Status.INVITED
        platform.set_incoming_token(token_a, registration=True)
        platform.save()
    return platform, token_a


@_traced
def accept_registration(*, platform: Platform, credentials: dict, replace: bool) -> dict:
    """Register (POST) or update (PUT) a platform from the credentials it sent us."""
    _require_operators()
    details_url, endpoints = _read_version_details(
        platform, credentials["url"], credentials["token"]
    )
    token_c = new_token()
    with transaction.atomic():
        locked = Platform.objects.select_for_update().get(pk=platform.pk)
        if not replace and not locked.incoming_token_is_registration:
            # credentials §POST: 405 once registered (a second POST with the same token A).
            raise RegistrationError(2000, "Already registered: use PUT", http_status=405)
        registering = locked.incoming_token_is_registration
        locked = _store_connection(locked, credentials["url"], details_url, credentials, endpoints)
        locked.set_incoming_token(token_c, registration=False)
        locked.save()
        if registering:  # a POST with token A (FromIOP), not an update (PUT)
            initial_push(platform=locked, actor=f"platform {locked.name} (Register FromIOP)")
    return our_credentials(token=token_c)


@_traced
def register_to(
    *, platform: Platform, versions_url: str, token_a: str, actor="registration"
) -> Platform:
    """Register ToIOP: read their versions with token A, POST ours with a fresh token B;
    `actor` (a User or `audit.command_actor(...)`) is recorded for the initial push."""
    if platform.status == Platform.Status.CONNECTED:
        raise RegistrationError(
            SERVER_ERROR, f"{platform} is connected: update or unregister it first"
        )
    _require_operators()
    details_url, endpoints = _read_version_details(platform, versions_url, token_a)
    credentials_url = _credentials_url(endpoints)
    token_b = new_token()
    # They read our versions with token B while handling our POST: it must work already.
    with _provisional_incoming_token(platform, token_b, registration=True):
        theirs = _call(platform, "POST", credentials_url, token_a, our_credentials(token=token_b))
        _check_credentials_answer(theirs)
    with transaction.atomic():
        platform = Platform.objects.select_for_update().get(pk=platform.pk)
        platform = _store_connection(platform, versions_url, details_url, theirs, endpoints)
        platform.set_incoming_token(token_b, registration=False)
        platform.save()
        initial_push(platform=platform, actor=actor)
    return platform


@_traced
def update_to(*, platform: Platform) -> Platform:
    """Update our credentials at their side (PUT): new token for them, new token C for us.

    Gireve §3.4 has not implemented it (unregister, then register again), other platforms may.
    """
    if platform.status != Platform.Status.CONNECTED or not platform.outgoing_token:
        raise RegistrationError(SERVER_ERROR, f"{platform} is not connected: register it first")
    details_url, endpoints = _read_version_details(
        platform, platform.versions_url, platform.outgoing_token
    )
    credentials_url = _credentials_url(endpoints)
    new_token_b = new_token()
    with _provisional_incoming_token(platform, new_token_b, registration=False):
        theirs = _call(
            platform,
            "PUT",
            credentials_url,
            platform.outgoing_token,
            our_credentials(token=new_token_b),
        )
        _check_credentials_answer(theirs)
    with transaction.atomic():
        platform = Platform.objects.select_for_update().get(pk=platform.pk)
        platform = _store_connection(
            platform, platform.versions_url, details_url, theirs, endpoints
        )
        platform.set_incoming_token(new_token_b, registration=False)
        platform.save()
    return platform


@_traced
def unregister(*, platform: Platform, notify_remote: bool = False) -> None:
    """Forget the connection: both tokens stop working, endpoints are dropped.

    With `notify_remote` we first DELETE our credentials at their side; if that fails
    nothing changes (unregister without notifying to forget them anyway).
    """
    if notify_remote:
        credentials_url = platform.endpoint_url(ModuleID.CREDENTIALS, "RECEIVER") or (
            platform.endpoint_url(ModuleID.CREDENTIALS, "SENDER")
        )
        if not credentials_url or not platform.outgoing_token:
            raise RegistrationError(
                SERVER_ERROR, f"{platform} has no credentials endpoint or token to notify"
            )
        _call(platform, "DELETE", credentials_url, platform.outgoing_token)
    with transaction.atomic():
        platform = Platform.objects.select_for_update().get(pk=platform.pk)
        platform.status = Platform.Status.UNREGISTERED
        platform.incoming_token_hash = ""
        platform.incoming_token_is_registration = True
        platform.outgoing_token = ""
        platform.save()
        platform.endpoints.all().delete()


def check_connection(*, platform: Platform) -> str:
    """Read their versions and details with our token; say what differs from what we stored."""
    new, gone = endpoint_changes(platform=platform)
    if not new and not gone:
        return f"{platform}: reachable, {platform.endpoints.count()} endpoints as stored."
    return (
        f"{platform}: reachable, but endpoints changed (update the connection): "
        f"{len(new)} new, {len(gone)} gone."
    )


@_traced
def endpoint_changes(*, platform: Platform) -> tuple[set, set]:
    """(new, gone): their endpoints read now with our token against the stored ones, as
    (identifier, role, url) triples; RegistrationError when they cannot be read."""
    if not platform.versions_url or not platform.outgoing_token:
        raise RegistrationError(SERVER_ERROR, f"{platform} is not registered")
    _, endpoints = _read_version_details(platform, platform.versions_url, platform.outgoing_token)
    theirs = {(e["identifier"], e.get("role", ""), e["url"]) for e in endpoints}
    stored = set(platform.endpoints.values_list("identifier", "role", "url"))
    return theirs - stored, stored - theirs


# --- steps ---------------------------------------------------------------------


def _require_operators() -> None:
    # credentials: roles has cardinality + (one CredentialsRole per operator we host).
    if not Operator.objects.exists():
        raise RegistrationError(SERVER_ERROR, "We host no operator yet: create an Operator first")


def _read_version_details(platform: Platform, versions_url: str, token: str):
    """(details URL, endpoints) of their 2.2.1, read with `token`; RegistrationError if unusable."""
    versions = _call(platform, "GET", versions_url, token, module="versions")
    offered = versions if isinstance(versions, list) else []
    chosen = next((v for v in offered if isinstance(v, dict) and v.get("version") == VERSION), None)
    if chosen is None or not isinstance(chosen.get("url"), str):
        listed = ", ".join(str(v.get("version")) for v in offered if isinstance(v, dict))
        raise RegistrationError(
            UNSUPPORTED_VERSION, f"No OCPI {VERSION} in {versions_url} (offers: {listed or 'none'})"
        )
    details = _call(platform, "GET", chosen["url"], token, module="versions")
    endpoints = details.get("endpoints") if isinstance(details, dict) else None
    if not isinstance(endpoints, list):
        raise RegistrationError(UNABLE_TO_USE_CLIENT_API, "Their version details have no endpoints")
    usable = [
        e
        for e in endpoints
        if isinstance(e, dict)
        and e.get("identifier") in ModuleID.values
        and e.get("role", "") in ("SENDER", "RECEIVER")
        and isinstance(e.get("url"), str)
        and e["url"].startswith(("http://", "https://"))
    ]
    if not MUTUAL_MODULES & {e["identifier"] for e in usable}:
        offered = ", ".join(sorted({e["identifier"] for e in usable})) or "nothing"
        raise RegistrationError(
            NO_MATCHING_ENDPOINTS, f"Their {VERSION} offers no module we use (offers: {offered})"
        )
    return chosen["url"], usable


def _credentials_url(endpoints: list[dict]) -> str:
    for role in ("RECEIVER", "SENDER"):
        for endpoint in endpoints:
            if endpoint["identifier"] == ModuleID.CREDENTIALS and endpoint["role"] == role:
                return endpoint["url"]
    raise RegistrationError(UNABLE_TO_USE_CLIENT_API, "Their version details have no credentials")


def _check_credentials_answer(theirs) -> None:
    if (
        not isinstance(theirs, dict)
        or not isinstance(theirs.get("token"), str)
        or not theirs["token"]
        or not isinstance(theirs.get("roles"), list)
        or not theirs["roles"]
    ):
        raise RegistrationError(UNABLE_TO_USE_CLIENT_API, "Their credentials answer is incomplete")


class _provisional_incoming_token:
    """Make `token` valid while they call us back; put the previous one back on failure.

    A platform not connected (new, or unregistered: "Forget locally") is INVITED meanwhile:
    an UNREGISTERED one is refused 401 (roaming.api.access), so its hub could not read our
    versions and the registration failed with 3001 (issue 19.5)."""

    fields = ["incoming_token_hash", "incoming_token_is_registration", "status"]

    def __init__(self, platform: Platform, token: str, *, registration: bool):
        self.platform, self.token, self.registration = platform, token, registration

    def __enter__(self):
        platform = self.platform
        self.previous = (
            platform.incoming_token_hash,
            platform.incoming_token_is_registration,
            platform.status,
        )
        platform.set_incoming_token(self.token, registration=self.registration)
        if platform.status != Platform.Status.CONNECTED:
            platform.status = Platform.Status.INVITED
        platform.save(update_fields=self.fields)

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            platform = self.platform
            (
                platform.incoming_token_hash,
                platform.incoming_token_is_registration,
                platform.status,
            ) = self.previous
            platform.save(update_fields=self.fields)
        return False


def _store_connection(platform, versions_url, details_url, credentials, endpoints) -> Platform:
    """Save what their credentials and version details told us (caller holds the row lock)."""
    roles = credentials["roles"]
    # Gireve §2.1.6: the hub presents itself as role HUB; our OCPI-to-* headers address it.
    hub_role = next((r for r in roles if r.get("role") == Role.HUB), roles[0])
    platform.versions_url = versions_url
    platform.version = VERSION
    platform.version_details_url = details_url
    platform.outgoing_token = credentials["token"]
    platform.roles = roles
    platform.hub_country_code = str(hub_role.get("country_code", ""))[:2].upper()
    platform.hub_party_id = str(hub_role.get("party_id", ""))[:3].upper()
    platform.status = Platform.Status.CONNECTED
    platform.endpoints.all().delete()
    PlatformEndpoint.objects.bulk_create(
        PlatformEndpoint(
            platform=platform, identifier=e["identifier"], role=e.get("role", ""), url=e["url"]
        )
        for e in endpoints
    )
    return platform


def _call(
    platform: Platform,
    method: str,
    url: str,
    token: str,
    body: dict | None = None,
    *,
    module: str = "credentials",
):
    """Call one of their platform resources and return its `data`, or raise a 3001 error."""
    client = OcpiClient(platform, token=token, correlation_id=_correlation_id.get())
    outcome = client.send(method, url, json=body, module=module)
    if not outcome.ok:
        status = f"HTTP {outcome.http_status}, OCPI {outcome.ocpi_status}"
        raise RegistrationError(
            UNABLE_TO_USE_CLIENT_API, f"Unable to use {method} {url}: {outcome.message} ({status})"
        )
    return outcome.data
