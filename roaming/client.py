"""The one place that calls a remote platform: auth, routing and id headers, outcome.

Outcomes (Gireve §3.5.5): success = HTTP 2xx and OCPI 1xxx; rejected = OCPI 2xxx (the hub
refuses our data: retrying the same message cannot help); technical = anything else
(network error, timeout, non-2xx HTTP, 3xxx/4xxx): retry.
"""

import base64
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import requests

from . import message_log
from .models import Platform

_sessions = threading.local()


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
    ocpi_status = body.get("status_code") if isinstance(body, dict) else None
    message = (body.get("status_message") or "") if isinstance(body, dict) else ""
    if isinstance(ocpi_status, int) and 2000 <= ocpi_status < 3000:
        return "rejected", ocpi_status, message
    if http_status and 200 <= http_status < 300:
        if isinstance(ocpi_status, int) and 1000 <= ocpi_status < 2000:
            return "success", ocpi_status, message
        return "technical", ocpi_status, message or "no OCPI envelope in a 2xx answer"
    return "technical", ocpi_status, message or f"HTTP {http_status}"


def _session() -> requests.Session:
    """One pooled requests.Session per thread (connection reuse toward the hub)."""
    if not hasattr(_sessions, "session"):
        _sessions.session = requests.Session()
    return _sessions.session


class OcpiClient:
    def __init__(self, platform: Platform, *, correlation_id: str | None = None):
        self.platform = platform
        self.correlation_id = correlation_id or str(uuid.uuid4())

    def endpoint(self, module: str, role: str) -> str | None:
        return self.platform.endpoint_url(module, role)

    def headers(self, request_id: str, from_operator=None) -> dict:
        token = base64.b64encode(self.platform.outgoing_token.encode()).decode()
        headers = {
            "Authorization": f"Token {token}",
            "X-Request-ID": request_id,
            "X-Correlation-ID": self.correlation_id,
        }
        if from_operator is not None:
            # Gireve §2.1.3: From = our operator, To = the hub operator.
            headers |= {
                "OCPI-from-country-code": from_operator.country_code,
                "OCPI-from-party-id": from_operator.party_id,
                "OCPI-to-country-code": self.platform.hub_country_code,
                "OCPI-to-party-id": self.platform.hub_party_id,
            }
        return headers

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
    ) -> Outcome:
        request_id = str(uuid.uuid4())
        headers = self.headers(request_id, from_operator)
        platform = self.platform
        cert = None
        if platform.client_certificate:
            cert = (platform.client_certificate, platform.client_key or None)
        started = time.monotonic()
        response = body = None
        error = ""
        try:
            response = _session().request(
                method,
                url,
                json=json,
                params=params,
                headers=headers,
                timeout=(platform.connect_timeout, platform.read_timeout),
                verify=platform.verify_tls,
                cert=cert,
            )
            try:
                body = response.json()
            except ValueError:
                body = None
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"
        duration_ms = int((time.monotonic() - started) * 1000)
        http_status = response.status_code if response is not None else None
        if error:
            kind, ocpi_status, message = "technical", None, error
        else:
            kind, ocpi_status, message = classify(http_status, body)
        log = message_log.record(
            direction="OUT",
            method=method,
            url=url,
            platform=platform,
            module=module,
            request_headers=headers,
            request_body=None if json is None else requests.models.complexjson.dumps(json),
            http_status=http_status,
            ocpi_status=ocpi_status,
            response_body=response.text if response is not None else "",
            duration_ms=duration_ms,
            request_id=request_id,
            correlation_id=self.correlation_id,
            object_id=object_id,
            party=f"{platform.hub_country_code}*{platform.hub_party_id}",
            error=error,
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

    def pull(self, module: str, *, from_operator=None, params=None) -> Iterator[dict]:
        """Every object of their SENDER list, following `Link` verbatim (a hub rewrites it)."""
        url = self.endpoint(module, "SENDER")
        if url is None:
            raise LookupError(f"{self.platform} has no {module} SENDER endpoint")
        limit = self.platform.page_limits.get(module)
        params = {**({"limit": limit} if limit else {}), **(params or {})}
        while url:
            outcome = self.send(
                "GET", url, params=params, from_operator=from_operator, module=module
            )
            if not outcome.ok:
                raise ConnectionError(f"Pull of {module} failed: {outcome.message}")
            yield from outcome.data or []
            url, params = _next_link(outcome.headers.get("Link", "")), None


def _next_link(header: str) -> str | None:
    for part in header.split(","):
        if 'rel="next"' in part and "<" in part:
            return part[part.index("<") + 1 : part.index(">")]
    return None
