"""The one vocabulary for checking OCPI 2.2.1 JSON we store (release-2.2.1-bugfixes lengths).

A check takes a value and the path to show in messages ("opening_times.regular_hours[0]
.period_end") and returns a list of readable problems, empty when the value is valid.
The type rules themselves (`string_problem`, `url_problem`, `number_problem`,
`datetime_problem`: types.asciidoc string/CiString, URL, number, DateTime) are the only
ones: the serializers of what we receive (roaming.ocpi_serializers) delegate to them, so
a value we store and a value we receive are judged alike (issue 18.6: they had drifted on
URLs and Decimals).
Combinators (`string`, `enum`, `obj`, `list_of`, ...) build the classes of every app
(`locations.ocpi_classes`, `tariffs.ocpi_classes`); `field_errors` runs them in a model's
`clean()`. Unknown keys are refused: what we store is what we send.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from urllib.parse import urlsplit

from roaming.ocpi_time import parse_inbound_datetime

from . import enums

Check = Callable[[object, str], list[str]]

LATITUDE_RE = re.compile(r"^-?[0-9]{1,2}\.[0-9]{5,7}\Z")
LONGITUDE_RE = re.compile(r"^-?[0-9]{1,3}\.[0-9]{5,7}\Z")
HOUR_MINUTE_RE = re.compile(r"^([0-1][0-9]|2[0-3]):[0-5][0-9]\Z")


# types §string: "Only printable UTF-8 allowed (Non-printable characters like: Carriage
# returns, Tabs, Line breaks, etc are not allowed)": control characters (C0, DEL, C1) and the
# line and paragraph separators. The OpenAPI schemas state the same class (JSON Schema
# patterns are ECMA-262); lone surrogates, which are not UTF-8 at all, are refused here too
# (an ECMA class cannot name them: it would refuse every emoji's UTF-16 halves).
NON_PRINTABLE = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
STRING_PATTERN = f"^[^{NON_PRINTABLE}]*$"
CI_STRING_PATTERN = r"^[\x20-\x7e]*$"  # types §CiString: printable ASCII
_NON_PRINTABLE_RE = re.compile(f"[{NON_PRINTABLE}\\ud800-\\udfff]")
# Issue 19.2: an id that appears in an OCPI URL (location, EVSE, connector, tariff, session,
# token uid) uses letters, digits, '-', '_', '.', '*' only, so every URL built from it is valid.
URL_ID_CHARS = r"A-Za-z0-9\-_.*"


def non_printable(value: str, *, ascii_only: bool = False) -> bool:
    """OCPI types: string = printable UTF-8, CiString = printable ASCII, no control chars."""
    if ascii_only:
        return any(not (32 <= ord(ch) <= 126) for ch in value)
    return _NON_PRINTABLE_RE.search(value) is not None


def url_id_problem(value, max_length: int = 36, *, exact: bool = False) -> str | None:
    """An id in an OCPI URL: CiString(max_length) of the URL-safe characters. None when valid."""
    problem = string_problem(value, max_length, ci=True, exact=exact)
    if problem:
        return problem
    bad = sorted(set(re.sub(f"[{URL_ID_CHARS}]", "", value)))
    if bad:
        shown = ", ".join("a space" if ch == " " else repr(ch) for ch in bad)
        return f"{value!r} contains {shown}: use only letters, digits, '-', '_', '.' and '*'"
    return None


def string_problem(
    value, max_length: int, *, ci: bool = False, exact: bool = False, allow_empty: bool = False
) -> str | None:
    """types §string(n) / §CiString(n): a JSON string of printable characters (printable
    ASCII for a CiString), at most n long (`exact`: n long). None when valid."""
    if not isinstance(value, str):
        return "must be a string"
    if exact and len(value) != max_length:
        return f"must be {max_length} characters (got {len(value)})"
    if not value and not allow_empty:
        return "must not be empty"
    if len(value) > max_length:
        return f"at most {max_length} characters (got {len(value)})"
    if non_printable(value, ascii_only=ci):
        kind = "printable ASCII" if ci else "printable characters"
        return f"only {kind} are allowed (no tabs or line breaks)"
    return None


def url_problem(value) -> str | None:
    """types §URL: a string(255) URL (w3.org URI syntax) we can call or show: http(s), a
    host (a single-label one such as `hub:8080` too: service names in a private network),
    no blanks. None when valid."""
    problem = string_problem(value, 255)
    if problem:
        return problem
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(ch.isspace() for ch in value)
    ):
        return f"{value!r} is not a valid http(s) URL"
    return None


# Issue 9.5: what OCPI and our columns can hold (the pricing engine's bound too,
# tariffs/pricing/numbers.py): a larger magnitude is refused with its field, never an
# overflow further down.
MAX_MAGNITUDE = 10**12


def number_problem(value, *, integer: bool = False, minimum=None, maximum=None) -> str | None:
    """types §number (a JSON number: int, or Decimal from our exact parser, or float) or
    §int, finite, below 10^12 in magnitude, within the bounds. None when valid."""
    kinds = (int,) if integer else (int, Decimal, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        return "must be a whole number" if integer else "must be a number"
    if not abs(value) < MAX_MAGNITUDE:  # also NaN and infinities
        return f"{value} is out of range: its magnitude must be below 10^12"
    if minimum is not None and value < minimum:
        return f"must be at least {minimum}"
    if maximum is not None and value > maximum:
        return f"must be at most {maximum}"
    return None


def datetime_problem(value) -> str | None:
    """types §DateTime: string(25), UTC ('Z' or no designator), fractions allowed; "+00:00
    is not the same as UTC". None when valid."""
    try:
        parse_inbound_datetime(value)
    except ValueError as exc:
        return str(exc)
    return None


def _one(problem: str | None, path: str) -> list[str]:
    return [f"{path}: {problem}."] if problem else []


def string(
    max_length: int, *, ci: bool = False, pattern: re.Pattern | None = None, hint: str = ""
) -> Check:
    def check(value, path):
        problem = string_problem(value, max_length, ci=ci)
        if problem:
            return _one(problem, path)
        if pattern is not None and not pattern.match(value):
            return [f"{path}: {value!r} is not {hint or 'in the expected format'}."]
        return []

    return check


def url(value, path):
    return _one(url_problem(value), path)


def enum(choices: type) -> Check:
    values = set(choices.values)

    def check(value, path):
        if value not in values:
            return [f"{path}: {value!r} is not one of {', '.join(sorted(values))}."]
        return []

    return check


def boolean(value, path):
    return [] if isinstance(value, bool) else [f"{path}: must be true or false."]


def integer(minimum: int | None = None, maximum: int | None = None) -> Check:
    def check(value, path):
        return _one(number_problem(value, integer=True, minimum=minimum, maximum=maximum), path)

    return check


def number(minimum: float | None = None, maximum: float | None = None) -> Check:
    def check(value, path):
        return _one(number_problem(value, minimum=minimum, maximum=maximum), path)

    return check


def datetime(value, path):
    return _one(datetime_problem(value), path)


def list_of(item: Check, *, unique: bool = False, ci: bool = False) -> Check:
    def check(value, path):
        if not isinstance(value, list):
            return [f"{path}: must be a list."]
        problems = []
        for index, element in enumerate(value):
            problems += item(element, f"{path}[{index}]")
        if unique and not problems:
            keys = [v.upper() if ci else v for v in value]
            duplicates = sorted({v for v in keys if keys.count(v) > 1})
            if duplicates:
                problems.append(f"{path}: listed twice: {', '.join(duplicates)}.")
        return problems

    return check


def obj(
    fields: dict[str, tuple[Check, bool]], rule: Callable[[dict, str], list[str]] | None = None
) -> Check:
    """An OCPI class: {name: (check, required)}, plus an optional cross-field rule."""

    def check(value, path):
        if not isinstance(value, dict):
            return [f"{path}: must be an object."]
        problems = [f"{path}.{key}: unknown field." for key in value if key not in fields]
        for name, (field_check, required) in fields.items():
            if name not in value or value[name] is None:
                if required:
                    problems.append(f"{path}.{name}: required.")
                continue
            problems += field_check(value[name], f"{path}.{name}")
        if rule is not None and not problems:
            problems += rule(value, path)
        return problems

    return check


# --- classes shared by every app (types, mod_locations Image/BusinessDetails) ---

HOUR_MINUTE = string(5, pattern=HOUR_MINUTE_RE, hint="a 24h local time HH:MM (08:00)")

display_text = obj({"language": (string(2), True), "text": (string(512), True)})

image = obj(
    {
        "url": (url, True),
        "thumbnail": (url, False),
        "category": (enum(enums.ImageCategory), True),
        "type": (string(4, ci=True), True),
        "width": (integer(0, 99999), False),
        "height": (integer(0, 99999), False),
    }
)

display_texts = list_of(display_text)

business_details = obj(
    {"name": (string(100), True), "website": (url, False), "logo": (image, False)}
)


def field_errors(checks: dict[str, Check], instance) -> dict[str, list[str]]:
    """Run checks on model JSON fields; {field: [messages]} for ValidationError."""
    errors: dict[str, list[str]] = {}
    for field, check in checks.items():
        value = getattr(instance, field)
        if value is None or value == {}:  # an absent optional object
            continue
        problems = check(value, field)
        if problems:
            errors[field] = problems
    return errors


def printable_errors(instance, fields: list[str]) -> dict[str, list[str]]:
    """OCPI string type on model columns: printable characters only (no tabs, no line breaks)."""
    return {
        field: ["Only printable characters are allowed (no tabs or line breaks)."]
        for field in fields
        if non_printable(getattr(instance, field) or "")
    }
