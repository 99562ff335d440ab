"""Our own strict check of emitted OCPI 2.2.1 Session and CDR JSON (mod_sessions, mod_cdrs;
lengths of roaming-workflow §3.4, §4.5), independent of the code that writes them.

Objects are read with exact numbers (roaming.ocpi_json.loads). Unknown fields are refused;
tariffs inside a CDR go through the tariffs' own check (tests/tariffs/schema.py).
"""

import re
from decimal import Decimal

from django.db import models

from locations import enums as loc
from roaming import ocpi_checks as c
from sessions.enums import AuthMethod, SessionStatus, TokenType
from tests.tariffs.schema import check_tariff


def _values(name: str, words: str) -> type[models.TextChoices]:
    return models.TextChoices(name, [(w, w) for w in words.split()])


CdrDimensionType = _values(
    "CdrDimensionType",
    "CURRENT ENERGY ENERGY_EXPORT ENERGY_IMPORT MAX_CURRENT MIN_CURRENT MAX_POWER "
    "MIN_POWER PARKING_TIME POWER RESERVATION_TIME STATE_OF_CHARGE TIME",
)
SESSION_ONLY = {"CURRENT", "ENERGY_EXPORT", "ENERGY_IMPORT", "POWER", "STATE_OF_CHARGE"}


def number(value, path):
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return [f"{path}: must be a JSON number."]
    return []


def non_negative(value, path):
    return number(value, path) or ([f"{path}: must be ≥ 0."] if value < 0 else [])


def ci(length: int):
    return c.string(length, ci=True)


def utc(value, path):
    # OCPI DateTime, as we send it: UTC with a Z (Gireve rejects +00:00).
    return c.datetime(value, path) or (
        [] if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value) else [f"{path}: not …Z"]
    )


price = c.obj({"excl_vat": (non_negative, True), "incl_vat": (non_negative, False)})
cdr_token = c.obj(
    {
        "country_code": (ci(2), True),
        "party_id": (ci(3), True),
        "uid": (ci(36), True),
        "type": (c.enum(TokenType), True),
        "contract_id": (ci(36), True),
    }
)
dimension = c.obj({"type": (c.enum(CdrDimensionType), True), "volume": (number, True)})


def _some(check):
    def checked(value, path):
        return check(value, path) or ([f"{path}: at least one."] if not value else [])

    return checked


period = c.obj(
    {
        "start_date_time": (utc, True),
        "dimensions": (_some(c.list_of(dimension)), True),
        "tariff_id": (ci(36), False),
    }
)
coordinates = c.obj(
    {
        "latitude": (c.string(10, pattern=re.compile(r"-?[0-9]{1,2}\.[0-9]{5,7}$")), True),
        "longitude": (c.string(11, pattern=re.compile(r"-?[0-9]{1,3}\.[0-9]{5,7}$")), True),
    }
)
cdr_location = c.obj(
    {
        "id": (ci(36), True),
        "name": (c.string(255), False),
        "address": (c.string(45), True),
        "city": (c.string(45), True),
        "postal_code": (c.string(10), False),
        "state": (c.string(20), False),
        "country": (c.string(3, pattern=re.compile(r"[A-Z]{3}$")), True),
        "coordinates": (coordinates, True),
        "evse_uid": (ci(36), True),
        "evse_id": (ci(48), True),
        "connector_id": (ci(36), True),
        "connector_standard": (c.enum(loc.ConnectorType), True),
        "connector_format": (c.enum(loc.ConnectorFormat), True),
        "connector_power_type": (c.enum(loc.PowerType), True),
    }
)
_session = c.obj(
    {
        "country_code": (ci(2), True),
        "party_id": (ci(3), True),
        "id": (ci(36), True),
        "start_date_time": (utc, True),
        "end_date_time": (utc, False),
        "kwh": (non_negative, True),
        "cdr_token": (cdr_token, True),
        "auth_method": (c.enum(AuthMethod), True),
        "authorization_reference": (ci(36), False),
        "location_id": (ci(36), True),
        "evse_uid": (ci(36), True),
        "connector_id": (ci(36), True),
        "meter_id": (c.string(255), False),
        "currency": (c.string(3, pattern=re.compile(r"[A-Z]{3}$")), True),
        "charging_periods": (c.list_of(period), False),
        "total_cost": (price, False),
        "status": (c.enum(SessionStatus), True),
        "last_updated": (utc, True),
    }
)
_COSTS = ("total_fixed_cost", "total_energy_cost", "total_time_cost", "total_parking_cost")
_cdr = c.obj(
    {
        "country_code": (ci(2), True),
        "party_id": (ci(3), True),
        "id": (ci(36), True),  # ≤ 36 unless a credit CDR
        "start_date_time": (utc, True),
        "end_date_time": (utc, True),
        "session_id": (ci(36), False),
        "cdr_token": (cdr_token, True),
        "auth_method": (c.enum(AuthMethod), True),
        "authorization_reference": (ci(36), False),
        "cdr_location": (cdr_location, True),
        "meter_id": (c.string(255), False),
        "currency": (c.string(3, pattern=re.compile(r"[A-Z]{3}$")), True),
        "tariffs": (c.list_of(lambda t, p: [f"{p}: {e}" for e in check_tariff(t)]), False),
        "charging_periods": (_some(c.list_of(period)), True),
        "total_cost": (price, True),
        **{name: (price, False) for name in (*_COSTS, "total_reservation_cost")},
        "total_energy": (non_negative, True),
        "total_time": (non_negative, True),
        "total_parking_time": (non_negative, False),
        "remark": (c.string(255), False),
        "last_updated": (utc, True),
    }
)


def check_session(obj: dict) -> list[str]:
    return _session(obj, "Session")


def check_cdr(obj: dict) -> list[str]:
    problems = _cdr(obj, "CDR")
    for index, each in enumerate(obj.get("charging_periods") or []):
        for d in each.get("dimensions") or []:
            if d.get("type") in SESSION_ONLY:
                problems.append(f"CDR.charging_periods[{index}]: {d['type']} is Session-only.")
    return problems
