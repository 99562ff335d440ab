"""The one place that calls a remote platform: auth, routing and id headers, outcome.

Outcomes (Gireve §3.5.5): success = HTTP 2xx and OCPI 1xxx; rejected = OCPI 2xxx (the hub
refuses our data: retrying the same message cannot help); technical = anything else
(network error, timeout, non-2xx HTTP, 3xxx/4xxx, our token refused with HTTP 401/403): retry.

    client = OcpiClient(platform, correlation_id=<X-Correlation-ID of the inbound request>)
    outcome = client.send("PUT", client.endpoint("locations", "RECEIVER") + "/FR/AB1/LOC1",
                          json=location, from_operator=operator, module="locations",
                          object_id="LOC1")
    if outcome.kind == "technical": retry later
"""

import base64
import datetime as dt
import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import requests

from . import message_log, metrics, ocpi_json
from .models import Platform
from .ocpi_time import format_datetime

# Gireve §2.1.9: IOP's largest page per module; Platform.page_limits overrides.
IOP_PAGE_LIMITS = {"locations": 100, "tokens": 1000, "cdrs": 20, "tariffs": 100}
# Modules spoken platform to platform: no OCPI-from/to headers (Gireve §2.1.3, §3.4).
PLATFORM_MODULES = {"", "versions", "credentials"}

_local = threading.local()


@dataclass
class Outcome:
    kind: str  # "success" | "technical" | "rejected"
    http_status: int | None = None
    ocpi_status: int | None = None
    message: str = ""
    data: object = None
    log_id: int | None = None
    duration_ms: int = 0
    headers: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.kind == "success"


def classify(http_status: int | None, body) -> tuple[str, int | None, str]:
    """(kind, OCPI status, message) of one answer; see the module docstring."""
    ocpi_status = body.get("status_code") if isinstance(body, dict) else None
    if not isinstance(ocpi_status, int) or isinstance(ocpi_status, bool):
        ocpi_status = None
    message = str(body.get("status_message") or "") if isinstance(body, dict) else ""
    if http_status in (401, 403):
        # Our token was refused: a connection problem to fix, not a verdict on the data.
        return "technical", ocpi_status, message or f"HTTP {http_status}: token refused"
    if ocpi_status is not None and 2000 <= ocpi_status < 3000:
        return "rejected", ocpi_status, message
    if http_status and 200 <= http_status < 300:
        if ocpi_status is not None and 1000 <= ocpi_status < 2000:
            return "success", ocpi_status, message
        return "technical", ocpi_status, message or "no OCPI 1xxx envelope in a 2xx answer"
    return "technical", ocpi_status, message or f"HTTP {http_status}"


def _session(platform: Platform) -> requests.Session:
    """One pooled requests.Session per platform and thread (connection reuse toward the hub)."""
    sessions = getattr(_local, "sessions", None)
    if sessions is None:
        sessions = _local.sessions = {}
    key = platform.pk or id(platform)
    if key not in sessions:
        session = requests.Session()
        # Proxy settings from the environment are read once, for the platform's host, not
        # on every request (trust_env re-reads them and ~/.netrc per call: ~1 ms each).
        session.proxies = requests.utils.get_environ_proxies(platform.versions_url or "")
        session.trust_env = False
        sessions[key] = session
    return sessions[key]


def _verify(platform: Platform) -> bool | str:
    """TLS verification on unless the platform says otherwise; a CA bundle named by
    REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE is honoured as requests does (trust_env is off)."""
    if not platform.verify_tls:
        return False
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


def _timeouts(platform: Platform, cap: float | None) -> tuple[float, float]:
    connect, read = platform.connect_timeout, platform.read_timeout
    if cap is None:
        return connect, read
    return min(connect, cap), min(read, cap)


def _party_label(party: tuple[str, str] | None) -> str:
    return f"{party[0]}*{party[1]}".upper() if party else ""


def _party(operator) -> tuple[str, str] | None:
    if operator is None:
        return None
    if isinstance(operator, tuple | list):
        return operator[0], operator[1]
    return operator.country_code, operator.party_id


class OcpiClient:
    """Calls one platform. `token` overrides the stored one (registration uses token A)."""

    def __init__(
        self,
        platform: Platform,
        *,
        correlation_id: str | None = None,
        token: str | None = None,
        endpoints: dict[tuple[str, str], str] | None = None,
    ):
        """`endpoints`: {(module, role): url} when the caller read them already (outbox)."""
        self.platform = platform
        self.correlation_id = correlation_id or str(uuid.uuid4())
        self.token = platform.outgoing_token if token is None else token
        self._endpoints = endpoints

    def endpoint(self, module: str, role: str) -> str | None:
        """Their URL for a module and interface role (read once per client)."""
        if self._endpoints is None:
            rows = self.platform.endpoints.values_list("identifier", "role", "url")
            self._endpoints = {(identifier, r): url for identifier, r, url in rows}
        return self._endpoints.get((module, role))

    def headers(self, request_id: str, from_party: tuple[str, str] | None = None) -> dict:
        # OCPI 2.2.1 transport_and_format: the token is sent base64 encoded.
        token = base64.b64encode(self.token.encode()).decode()
        headers = {
            "Authorization": f"Token {token}",
            "X-Request-ID": request_id,
            "X-Correlation-ID": self.correlation_id,
        }
        if from_party is not None:
            # Gireve §2.1.3/§2.1.6: From = our operator, To = the hub operator (FR*107/FR*007).
            headers |= {
                "OCPI-from-country-code": from_party[0],
                "OCPI-from-party-id": from_party[1],
                "OCPI-to-country-code": self.platform.hub_country_code,
                "OCPI-to-party-id": self.platform.hub_party_id,
            }
        return headers

    def _owner_party(self, module: str, url: str, body) -> tuple[str, str] | None:
        """Our operator found in a client-owned URL (/{cc}/{pid}/...) or in the object sent."""
        if isinstance(body, dict) and body.get("country_code") and body.get("party_id"):
            return body["country_code"], body["party_id"]
        for role in ("RECEIVER", "SENDER"):
            base = self.endpoint(module, role)
            if base and url.startswith(base.rstrip("/") + "/"):
                parts = url[len(base.rstrip("/")) + 1 :].split("?")[0].split("/")
                if len(parts) >= 2 and len(parts[0]) == 2 and len(parts[1]) == 3:
                    return parts[0], parts[1]
        return None

    def send(
        self,
        method: str,
        url: str,
        *,
        json=None,
        params=None,
        from_operator=None,
        module: str = "",
        object_id: str = "",
        timeout: float | None = None,
    ) -> Outcome:
        """One exchange, logged; never raises for network, HTTP or OCPI failures.

        `timeout` (seconds) caps the platform's connect and read timeouts: a synchronous
        call a driver waits on (real-time authorize) cannot wait as long as a push."""
        request_id = str(uuid.uuid4())
        from_party = _party(from_operator)
        if from_party is None and module not in PLATFORM_MODULES:
            from_party = self._owner_party(module, url, json)
        headers = self.headers(request_id, from_party)
        platform = self.platform
        cert = None
        if platform.client_certificate:
            cert = (platform.client_certificate, platform.client_key or None)
        started = time.monotonic()
        response = body = None
        error = ""
        # Exact numbers: amounts leave as the Decimal digits we hold, never through float.
        payload = None if json is None else ocpi_json.dumps(json).encode()
        if payload is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = _session(platform).request(
                method,
                url,
                data=payload,
                params=params,
                headers=headers,
                timeout=_timeouts(platform, timeout),
                verify=_verify(platform),
                cert=cert,
            )
            try:
                body = ocpi_json.loads(response.content)
            except ValueError:
                body = None
        except (requests.RequestException, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        duration_ms = int((time.monotonic() - started) * 1000)
        http_status = response.status_code if response is not None else None
        if error:
            kind, ocpi_status, message = "technical", None, error
        else:
            kind, ocpi_status, message = classify(http_status, body)
        metrics.HUB_CALL_SECONDS.labels(module or "other", method, kind).observe(duration_ms / 1000)
        log = message_log.record(
            direction="OUT",
            method=method,
            url=response.url if response is not None else url,
            platform=platform if platform.pk else None,
            module=module,
            request_headers=headers,
            request_body=payload,
            http_status=http_status,
            ocpi_status=ocpi_status,
            response_body=response.text if response is not None else "",
            duration_ms=duration_ms,
            request_id=request_id,
            correlation_id=self.correlation_id,
            object_id=object_id,
            # The party searched for in the log: the operator of ours the request speaks
            # for (every push goes to the same hub, its platform is recorded already).
            party=_party_label(from_party)
            or (
                f"{platform.hub_country_code}*{platform.hub_party_id}"
                if platform.hub_party_id
                else ""
            ),
            error=error or ("" if kind == "success" else message),
        )
        return Outcome(
            kind=kind,
            http_status=http_status,
            ocpi_status=ocpi_status,
            message=message,
            data=body.get("data") if isinstance(body, dict) else None,
            log_id=log.pk,
            duration_ms=duration_ms,
            headers=dict(response.headers) if response is not None else {},
        )

    def page_limit(self, module: str) -> int | None:
        limit = self.platform.page_limits.get(module) or IOP_PAGE_LIMITS.get(module)
        return int(limit) if limit else None

    def pull(self, module: str, *, from_operator=None, params=None) -> Iterator[dict]:
        """Every object of their SENDER list, following `Link` verbatim (a hub rewrites it).

        `params` may hold date_from/date_to as datetimes and a smaller `limit`.

        Raises ConnectionError when a page fails: a partial list must not pass for a whole one.
        """
        url = self.endpoint(module, "SENDER")
        if url is None:
            raise LookupError(f"{self.platform} has no {module} SENDER endpoint")
        params = {
            name: format_datetime(value) if isinstance(value, dt.datetime) else value
            for name, value in (params or {}).items()
        }
        limit = self.page_limit(module)
        if limit:
            # Gireve §2.1.9: never ask for more than the hub serves per page.
            params["limit"] = min(int(params.get("limit") or limit), limit)
        seen = set()
        while url:
            seen.add(url)
            outcome = self.send(
                "GET", url, params=params, from_operator=from_operator, module=module
            )
            if not outcome.ok:
                raise ConnectionError(f"Pull of {module} failed at {url}: {outcome.message}")
            if not isinstance(outcome.data, list):
                raise ConnectionError(f"Pull of {module}: {url} did not answer a list")
            yield from outcome.data
            url, params = next_link(outcome.headers.get("Link", "")), None
            if url in seen:
                raise ConnectionError(f"Pull of {module}: Link points back to {url}")

    def object_url(self, module: str, operator, *ids: str) -> str:
        """Client-owned object URL at their RECEIVER: {endpoint}/{cc}/{pid}/{id}[/...]."""
        base = self.endpoint(module, "RECEIVER")
        if base is None:
            raise LookupError(f"{self.platform} has no {module} RECEIVER endpoint")
        country_code, party_id = _party(operator)
        return "/".join([base.rstrip("/"), country_code, party_id, *ids])

    def get_object(self, module: str, operator, *ids: str, url: str | None = None) -> Outcome:
        """Their copy of one of our objects (check helper), e.g. ("locations", op, "LOC1", "E1").

        CDRs have no client-owned URL: pass the `url` their POST answered in `Location`.
        """
        url = url or self.object_url(module, operator, *ids)
        object_id = ids[0] if ids else url.rstrip("/").rsplit("/", 1)[-1]
        return self.send("GET", url, from_operator=operator, module=module, object_id=object_id)


def next_link(header: str) -> str | None:
    """The rel="next" URL of a Link header, taken verbatim."""
    for part in header.split(","):
        if 'rel="next"' in part.replace("'", '"') and "<" in part and ">" in part:
            return part[part.index("<") + 1 : part.index(">")].strip()
    return None
