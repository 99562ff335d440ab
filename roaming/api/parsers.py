"""Request bodies: JSON, at most OCPI_MAX_BODY_BYTES, numbers as exact Decimals, no NUL."""

import json
from decimal import Decimal

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from .errors import CLIENT_ERROR, OcpiError, invalid


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


class OcpiJSONParser(JSONParser):
    """A JSONParser, so DRF hands it `request.body` (kept for the message log); Django's own
    DATA_UPLOAD_MAX_MEMORY_SIZE is answered with a 413 too (errors.exception_handler)."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read()
        if len(raw) > settings.OCPI_MAX_BODY_BYTES:
            raise OcpiError(CLIENT_ERROR, "Request body too large", http_status=413)
        try:
            # types §decimal: amounts keep their digits (0.80 stays 0.80, never a float).
            data = json.loads(raw.decode(), parse_float=Decimal, parse_constant=_no_constant)
        except (ValueError, UnicodeDecodeError) as error:
            raise ParseError(f"Malformed JSON body: {error}") from error
        if _has_nul(data):
            # types: OCPI strings are printable; PostgreSQL cannot store a NUL either.
            raise invalid("Body has a NUL character (\\u0000) in a string: not printable")
        return data
