"""The OCPI 2.2.1 mod_locations classes we keep in JSON fields, built from the shared checks.

Combinators and the classes every app shares live in `roaming.ocpi_checks`; this module
names the Location classes (Hours, EnergyMix, StatusSchedule, PublishTokenType, ...).
"""

from __future__ import annotations

from roaming.ocpi_checks import (  # noqa: F401 - re-exported: one import for location code
    HOUR_MINUTE,
    LATITUDE_RE,
    LONGITUDE_RE,
    Check,
    boolean,
    business_details,
    datetime,
    display_text,
    display_texts,
    enum,
    field_errors,
    image,
    integer,
    list_of,
    non_printable,
    number,
    obj,
    string,
    url,
)
from roaming.ocpi_time import parse_datetime
from roaming.validators import url_id as url_id_check

from . import enums

LATITUDE = string(10, pattern=LATITUDE_RE, hint="decimal degrees with 5 to 7 decimals (48.856614)")
LONGITUDE = string(11, pattern=LONGITUDE_RE, hint="decimal degrees with 5 to 7 decimals (2.352222)")

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

images = list_of(image)
capabilities = list_of(enum(enums.Capability), unique=True)
facilities = list_of(enum(enums.Facility), unique=True)
parking_restrictions = list_of(enum(enums.ParkingRestriction), unique=True)
# Ids that go into OCPI URLs (issue 19.2): CiString(36) of URL-safe characters.
url_id = url_id_check(36)
tariff_ids = list_of(url_id, unique=True, ci=True)
