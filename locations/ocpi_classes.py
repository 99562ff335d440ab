"""Checks for the OCPI 2.2.1 classes we keep in JSON fields (release-2.2.1-bugfixes lengths).

Each `check_*` function takes a value and the path to show in messages
("opening_times.regular_hours[0].period_end") and returns a list of readable problems,
empty when the value is valid. Unknown keys are refused: what we store is what we send.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from roaming.ocpi_time import parse_datetime

from . import enums

Check = Callable[[object, str], list[str]]

_url_validator = URLValidator(schemes=["http", "https"])
LATITUDE_RE = re.compile(r"^-?[0-9]{1,2}\.[0-9]{5,7}\Z")
LONGITUDE_RE = re.compile(r"^-?[0-9]{1,3}\.[0-9]{5,7}\Z")
HOUR_MINUTE_RE = re.compile(r"^([0-1][0-9]|2[0-3]):[0-5][0-9]\Z")


def non_printable(value: str, *, ascii_only: bool = False) -> bool:
    """OCPI types: string = printable UTF-8, CiString = printable ASCII, no control chars."""
    if ascii_only:
        return any(not (32 <= ord(ch) <= 126) for ch in value)
    return any(not ch.isprintable() for ch in value)


def string(
    max_length: int, *, ci: bool = False, pattern: re.Pattern | None = None, hint: str = ""
) -> Check:
    def check(value, path):
        if not isinstance(value, str):
            return [f"{path}: must be a string."]
        if not value:
            return [f"{path}: must not be empty."]
        if len(value) > max_length:
            return [f"{path}: at most {max_length} characters (got {len(value)})."]
        if non_printable(value, ascii_only=ci):
            kind = "printable ASCII" if ci else "printable characters"
            return [f"{path}: only {kind} are allowed (no tabs or line breaks)."]
        if pattern is not None and not pattern.match(value):
            return [f"{path}: {value!r} is not {hint or 'in the expected format'}."]
        return []

    return check


def url(value, path):
    problems = string(255)(value, path)
    if problems:
        return problems
    try:
        _url_validator(value)
    except ValidationError:
        return [f"{path}: {value!r} is not a valid http(s) URL."]
    return []


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
        if isinstance(value, bool) or not isinstance(value, int):
            return [f"{path}: must be a whole number."]
        if minimum is not None and value < minimum:
            return [f"{path}: must be at least {minimum}."]
        if maximum is not None and value > maximum:
            return [f"{path}: must be at most {maximum}."]
        return []

    return check


def number(minimum: float | None = None, maximum: float | None = None) -> Check:
    def check(value, path):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return [f"{path}: must be a number."]
        if minimum is not None and value < minimum:
            return [f"{path}: must be at least {minimum}."]
        if maximum is not None and value > maximum:
            return [f"{path}: must be at most {maximum}."]
        return []

    return check


def datetime(value, path):
    try:
        parse_datetime(value)
    except ValueError as exc:
        return [f"{path}: {exc}"]
    return []


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


# --- OCPI 2.2.1 classes ------------------------------------------------------

LATITUDE = string(10, pattern=LATITUDE_RE, hint="decimal degrees with 5 to 7 decimals (48.856614)")
LONGITUDE = string(11, pattern=LONGITUDE_RE, hint="decimal degrees with 5 to 7 decimals (2.352222)")
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

business_details = obj(
    {"name": (string(100), True), "website": (url, False), "logo": (image, False)}
)

geo_location = obj(
    {
        "latitude": (LATITUDE, True),
        "longitude": (LONGITUDE, True),
    }
)

additional_geo_location = obj(
    {
        "latitude": (LATITUDE, True),
        "longitude": (LONGITUDE, True),
        "name": (display_text, False),
    }
)


def _end_after_begin(value: dict, path: str) -> list[str]:
    begin, end = value.get("period_begin"), value.get("period_end")
    if end is None:
        return []
    if ":" in begin and "T" not in begin:  # RegularHours: "HH:MM" local times
        later = end > begin
    else:
        later = parse_datetime(end) > parse_datetime(begin)
    return [] if later else [f"{path}.period_end: must be later than period_begin ({begin})."]


regular_hours = obj(
    {
        "weekday": (integer(1, 7), True),
        "period_begin": (HOUR_MINUTE, True),
        "period_end": (HOUR_MINUTE, True),
    },
    _end_after_begin,
)

exceptional_period = obj(
    {"period_begin": (datetime, True), "period_end": (datetime, True)}, _end_after_begin
)


def _hours_rule(value: dict, path: str) -> list[str]:
    # OCPI 2.2.1 Hours: regular_hours only when twentyfourseven=false, then at least one.
    regular = value.get("regular_hours") or []
    if value["twentyfourseven"] and regular:
        return [f"{path}.regular_hours: must be empty when twentyfourseven is true."]
    if not value["twentyfourseven"] and not regular:
        return [f"{path}.regular_hours: at least one period is needed when not open 24/7."]
    return []


hours = obj(
    {
        "twentyfourseven": (boolean, True),
        "regular_hours": (list_of(regular_hours), False),
        "exceptional_openings": (list_of(exceptional_period), False),
        "exceptional_closings": (list_of(exceptional_period), False),
    },
    _hours_rule,
)

energy_mix = obj(
    {
        "is_green_energy": (boolean, True),
        "energy_sources": (
            list_of(
                obj(
                    {
                        "source": (enum(enums.EnergySourceCategory), True),
                        "percentage": (number(0, 100), True),
                    }
                )
            ),
            False,
        ),
        "environ_impact": (
            list_of(
                obj(
                    {
                        "category": (enum(enums.EnvironmentalImpactCategory), True),
                        "amount": (number(0), True),
                    }
                )
            ),
            False,
        ),
        "supplier_name": (string(64), False),
        "energy_product_name": (string(64), False),
    }
)

status_schedule = obj(
    {
        "period_begin": (datetime, True),
        "period_end": (datetime, False),
        "status": (enum(enums.Status), True),
    },
    _end_after_begin,
)


def _publish_token_rule(value: dict, path: str) -> list[str]:
    # OCPI 2.2.1 PublishTokenType: one of uid/visual_number/group_id; uid needs type;
    # visual_number needs issuer.
    problems = []
    if not any(value.get(k) for k in ("uid", "visual_number", "group_id")):
        problems.append(f"{path}: set at least one of uid, visual_number or group_id.")
    if value.get("uid") and not value.get("type"):
        problems.append(f"{path}.type: required when uid is set.")
    if value.get("visual_number") and not value.get("issuer"):
        problems.append(f"{path}.issuer: required when visual_number is set.")
    return problems


publish_token = obj(
    {
        "uid": (string(36, ci=True), False),
        "type": (enum(enums.TokenType), False),
        "visual_number": (string(64), False),
        "issuer": (string(64), False),
        "group_id": (string(36, ci=True), False),
    },
    _publish_token_rule,
)

display_texts = list_of(display_text)
images = list_of(image)
capabilities = list_of(enum(enums.Capability), unique=True)
facilities = list_of(enum(enums.Facility), unique=True)
parking_restrictions = list_of(enum(enums.ParkingRestriction), unique=True)
tariff_ids = list_of(string(36, ci=True), unique=True, ci=True)


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
