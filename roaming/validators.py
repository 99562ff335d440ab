"""Field validators for OCPI / eMI3 formats (messages shown to operations staff)."""

import functools
import re
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from roaming.ocpi_checks import URL_ID_CHARS

country_code_validator = RegexValidator(
    r"^[A-Za-z]{2}\Z", "Country code must be 2 letters (ISO 3166-1 alpha-2), e.g. FR."
)
party_id_validator = RegexValidator(
    r"^[A-Za-z0-9]{3}\Z", "Party id must be 3 letters or digits (eMI3 spot operator id), e.g. AB1."
)
country_alpha3_validator = RegexValidator(
    r"^[A-Z]{3}\Z", "Country must be an ISO 3166-1 alpha-3 code in capitals, e.g. FRA."
)
latitude_validator = RegexValidator(
    r"^-?[0-9]{1,2}\.[0-9]{5,7}\Z",
    "Latitude must be decimal degrees with 5 to 7 decimals, e.g. 48.856614.",
)
longitude_validator = RegexValidator(
    r"^-?[0-9]{1,3}\.[0-9]{5,7}\Z",
    "Longitude must be decimal degrees with 5 to 7 decimals, e.g. 2.352222.",
)
# eMI3 EVSE id (Part 2 v1.0): <country 2><*?><operator 3><*?>E<power outlet id>, the outlet
# id being alphanumerics and '*' (max 48 chars in OCPI).
EVSE_ID_RE = re.compile(r"^([A-Za-z]{2})\*?([A-Za-z0-9]{3})\*?[Ee][A-Za-z0-9*]{1,30}\Z")


@functools.cache
def _time_zones() -> frozenset[str]:
    # available_timezones() walks the tz database on disk: ~0.2 s a call, which was most of
    # the time of a location import (bench/import_locations.py).
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in _time_zones():
        raise ValidationError(
            "%(value)s is not an IANA time zone (e.g. Europe/Paris).", params={"value": value}
        )


# Ids that are path segments of OCPI URLs (Location.id, EVSE.uid, Connector.id, Tariff.id,
# Token.uid, Session.id, CDR.id ...): CiStrings (printable ASCII) restricted to characters
# that need no escaping in a URL path, so that a push never goes to a broken URL (issue
# 19.2: "A/B" or "a b" made the hub answer 404 and held the stream).
# One charset for ids in URLs: the OCPI API's (roaming.ocpi_checks), here with messages for
# admin forms and imports that name the offending characters.
URL_ID_RE = re.compile(rf"^[{URL_ID_CHARS}]+\Z")


def url_id_problem(value: str, max_length: int = 36) -> str | None:
    """Why `value` cannot be an OCPI id in a URL, in words (None when it can)."""
    if not value:
        return "An id cannot be empty."
    if len(value) > max_length:
        return f"at most {max_length} characters (got {len(value)})."
    if not URL_ID_RE.match(value):
        bad = sorted({ch for ch in value if not URL_ID_RE.match(ch)})
        shown = ", ".join("a space" if ch == " " else repr(ch) for ch in bad)
        return (
            f"{value!r} contains {shown}: use only letters, digits, '-', '_', '.' and '*' "
            "(ids are part of OCPI URLs)."
        )
    return None


def url_id(max_length: int = 36):
    """An OCPI JSON check (roaming.ocpi_checks' (value, path) -> problems) for such an id."""

    def check(value, path: str) -> list[str]:
        if not isinstance(value, str):
            return [f"{path}: must be a string."]
        problem = url_id_problem(value, max_length)
        return [f"{path}: {problem}"] if problem else []

    return check


def validate_ocpi_id(value: str) -> None:
    """An OCPI id that goes into URLs (the field's max_length gives its CiString length)."""
    problem = url_id_problem(value, max_length=len(value) or 1)
    if problem:
        raise ValidationError(problem)
