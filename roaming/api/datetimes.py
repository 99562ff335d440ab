"""Strict reading of the DateTimes others send us (OCPI 2.2.1 types §DateTime).

roaming.ocpi_time.parse_datetime is lenient (it also reads numeric offsets, for our own data
and for answers we read from others). What a client sends to our API is held to the spec:
string(25), UTC written with 'Z' or no designator, optional fractional seconds; "other
formats/patterns are not allowed" and "+00:00 is not the same as UTC".
"""

import datetime as dt
import re

from roaming.ocpi_time import parse_datetime

MAX_LENGTH = 25  # types §DateTime: string(25)
_STRICT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z?\Z")


def parse_inbound_datetime(value) -> dt.datetime:
    """An aware UTC datetime from an OCPI DateTime; ValueError says what is wrong and how."""
    if not isinstance(value, str):
        raise ValueError(
            f"must be an OCPI DateTime string such as 2026-01-01T12:00:00Z, "
            f"not {type(value).__name__}"
        )
    example = "e.g. 2026-01-01T12:00:00Z"
    if len(value) > MAX_LENGTH:
        raise ValueError(f"{value!r} is longer than the {MAX_LENGTH} characters of a DateTime")
    if not _STRICT_RE.match(value):
        if re.search(r"[+-]\d{2}:?\d{2}$", value):
            raise ValueError(f"{value!r} has a UTC offset: OCPI DateTimes are in UTC ({example})")
        raise ValueError(f"{value!r} is not an OCPI DateTime ({example})")
    try:
        return parse_datetime(value)
    except ValueError as error:
        raise ValueError(f"{value!r} is not a valid date and time ({example})") from error
