"""OCPI 2.2.1 DateTime in and out (types.asciidoc: RFC 3339, UTC, string(25)).

We always emit `2026-01-01T12:00:00Z` (UTC, whole seconds, 'Z'). We accept what the spec
allows from others: optional fractional seconds, a 'Z' or numeric offset, and no designator
at all (which OCPI defines as UTC).
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
