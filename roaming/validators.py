"""Field validators for OCPI / eMI3 formats (messages shown to operations staff)."""

import functools
import re
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

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


def validate_ocpi_id(value: str) -> None:
    """OCPI CiString: printable ASCII only."""
    if not value or any(not (32 <= ord(ch) <= 126) for ch in value):
        raise ValidationError("Identifiers must be printable ASCII characters.")
