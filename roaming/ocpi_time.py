"""OCPI 2.2.1 DateTime in and out (types.asciidoc: RFC 3339, UTC, string(25)).

We always emit `2026-01-01T12:00:00Z` (UTC, whole seconds, 'Z'). `parse_datetime` reads our
own data and others' answers leniently (a 'Z' or numeric offset, or no designator, which OCPI
defines as UTC); `parse_inbound_datetime` holds what a client sends our API to the spec.
"""

import datetime as dt
import re

_DATETIME_RE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[Tt](?P<time>\d{2}:\d{2}:\d{2})(?P<fraction>\.\d{1,9})?"
    r"(?P<zone>[Zz]|[+-]\d{2}:\d{2})?\Z"
)


def format_datetime(value: dt.datetime) -> str:
    """Format an aware datetime as OCPI wants it: UTC, whole seconds, trailing 'Z'."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"Cannot format naive datetime {value!r} for OCPI: a time zone is needed.")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(value: str) -> dt.datetime:
    """Parse an OCPI DateTime string into an aware UTC datetime; ValueError says what is wrong."""
    if not isinstance(value, str):
        raise ValueError(f"OCPI DateTime must be a string, got {type(value).__name__}.")
    match = _DATETIME_RE.match(value)
    if not match:
        raise ValueError(
            f"{value!r} is not an OCPI DateTime (RFC 3339 in UTC, e.g. 2026-01-01T12:00:00Z)."
        )
    fraction = (match["fraction"] or "")[1:7].ljust(6, "0")
    zone = match["zone"]
    if zone is None or zone in "Zz":
        tzinfo = dt.UTC  # OCPI types: no designator means UTC
    else:
        sign = 1 if zone[0] == "+" else -1
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 23 or minutes > 59:
            raise ValueError(f"{value!r} has an invalid UTC offset {zone}.")
        tzinfo = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
    try:
        parsed = dt.datetime.fromisoformat(
            f"{match['date']}T{match['time']}" + (f".{fraction}" if match["fraction"] else "")
        )
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a valid date and time: {exc}.") from None
    return parsed.replace(tzinfo=tzinfo).astimezone(dt.UTC)


_INBOUND_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z?\Z")
_EXAMPLE = "e.g. 2026-01-01T12:00:00Z"


def parse_inbound_datetime(value) -> dt.datetime:
    """types §DateTime as others must send it: string(25), UTC with 'Z' or no designator,
    optional fractions ("other formats/patterns are not allowed", "+00:00 is not the same as
    UTC"). ValueError says what is wrong and how."""
    if not isinstance(value, str):
        raise ValueError(
            f"must be an OCPI DateTime string ({_EXAMPLE}), not {type(value).__name__}"
        )
    if len(value) > 25:
        raise ValueError(f"{value!r} is longer than the 25 characters of a DateTime")
    if not _INBOUND_RE.match(value):
        if re.search(r"[+-]\d{2}:?\d{2}$", value):
            raise ValueError(f"{value!r} has a UTC offset: OCPI DateTimes are in UTC ({_EXAMPLE})")
        raise ValueError(f"{value!r} is not an OCPI DateTime ({_EXAMPLE})")
    try:
        return parse_datetime(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a valid date and time ({_EXAMPLE})") from None
