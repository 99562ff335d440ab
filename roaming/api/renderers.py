"""The OCPI envelope every answer travels in, and the transport headers around it.

OCPI 2.2.1 transport_and_format §Response format: `data`, `status_code`, `status_message`,
`timestamp`, errors included (an error "contains no data field"); Gireve §2.1.4: the caller's
X-Request-ID / X-Correlation-ID echoed, routing headers swapped.
"""

import json
import re
import secrets
import uuid
from decimal import Decimal

from django.utils import timezone
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response

from roaming.ocpi_time import format_datetime

# A Decimal is written as a marked string by the C encoder, then the marks are replaced by
# the exact digits (`0.80`, never 0.8): as roaming.ocpi_json.dumps, at C speed. The mark
# holds a NUL (refused in every OCPI string we take in) and a per-process secret.
_MARK = f"\x00{secrets.token_hex(8)}:"
_MARKED = re.compile(re.escape(json.dumps(_MARK)[:-1]) + r'([-+0-9.E]+)"')


def exact_json(value) -> str:
    """JSON text with every Decimal as a number with its exact digits (types §decimal)."""
    marked = False

    def decimal(obj):
        nonlocal marked
        if isinstance(obj, Decimal) and obj.is_finite():
            marked = True
            return _MARK + format(obj, "f")
        raise TypeError(f"{type(obj).__name__} {obj!r} is not JSON")

    text = json.dumps(value, ensure_ascii=False, default=decimal)
    return _MARKED.sub(r"\1", text) if marked else text


def envelope_bytes(data, *, ocpi_status: int = 1000, message: str = "Success") -> bytes:
    body = {"status_code": ocpi_status, "status_message": message}
    if data is not None:
        body["data"] = data
    body["timestamp"] = format_datetime(timezone.now())
    return exact_json(body).encode()


class OcpiResponse(Response):
    """A DRF Response with the OCPI status of its envelope (a plain Response is a 1000)."""

    def __init__(self, data=None, *, ocpi_status: int, message: str, **kwargs):
        super().__init__(data, **kwargs)
        self.ocpi_status, self.ocpi_message = ocpi_status, message


class OcpiRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None  # Content-Type: application/json; the body is UTF-8 (transport_and_format)

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
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
        headers.get("X-Correlation-ID") or str(uuid.uuid4()),
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
