"""The OCPI envelope every answer travels in (transport_and_format §Response format; an error
"contains no data field"), and the transport headers around it (Gireve §2.1.4).
"""

import uuid

from django.utils import timezone
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer

from roaming import logs, ocpi_json
from roaming.ocpi_time import format_datetime


def envelope_bytes(data, *, ocpi_status: int = 1000, message: str = "Success") -> bytes:
    body = {"status_code": ocpi_status, "status_message": message}
    if data is not None:
        body["data"] = data
    body["timestamp"] = format_datetime(timezone.now())
    return ocpi_json.dumps(body).encode()  # exact Decimals: 0.80 stays 0.80


class OcpiRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None  # Content-Type: application/json; the body is UTF-8 (transport_and_format)

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        # A Response is a 1000; errors.exception_handler marks its answers with their status.
        response = (renderer_context or {}).get("response")
        return envelope_bytes(
            data,
            ocpi_status=getattr(response, "ocpi_status", 1000),
            message=getattr(response, "ocpi_message", "Success"),
        )


class AlwaysOcpiJson(DefaultContentNegotiation):
    """OCPI answers JSON whatever the Accept header says (no 406 outside the envelope)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def transport_ids(headers) -> tuple[str, str]:
    """Gireve §2.1.4: their X-Request-ID / X-Correlation-ID, or fresh ones."""
    return (
        headers.get("X-Request-ID") or str(uuid.uuid4()),
        # Else the one our log lines of this request already carry (roaming/logs.py).
        headers.get("X-Correlation-ID")
        or (logs.current() if logs.current() != "-" else str(uuid.uuid4())),
    )


def add_transport_headers(response, headers, request_id: str, correlation_id: str) -> None:
    """Gireve §2.1.4: X-Request-ID / X-Correlation-ID on every answer; routing headers swapped."""
    response["X-Request-ID"] = request_id
    response["X-Correlation-ID"] = correlation_id
    for ours, theirs in (("from", "to"), ("to", "from")):
        for part in ("country-code", "party-id"):
            value = headers.get(f"OCPI-{theirs}-{part}")
            if value:
                response[f"OCPI-{ours}-{part}"] = value
