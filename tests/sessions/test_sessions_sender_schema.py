"""Our own strict schema of the Sessions and CDRs we emit (OCPI 2.2.1 mod_sessions Session,
mod_cdrs CDR, release-2.2.1-bugfixes lengths), independent of the code that builds them;
used by the sender tests beside py_ocpi. Its own tests show it refuses the traps of
roaming-workflow §3.7 and §4.7 and accepts the spec's examples."""

import copy
import json
import re
from decimal import Decimal
from pathlib import Path

from roaming import ocpi_checks as c
from tests.tariffs.schema import check_tariff

EXAMPLES = Path(__file__).parent.parent / "data" / "ocpi_examples"
# types §DateTime as we write it: UTC, whole seconds, 'Z' (never +00:00).
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
SESSION_ONLY = {"CURRENT", "ENERGY_EXPORT", "ENERGY_IMPORT", "POWER", "STATE_OF_CHARGE"}
CDR_DIMENSIONS = {
    "ENERGY",
    "MAX_CURRENT",
    "MIN_CURRENT",
    "MAX_POWER",
    "MIN_POWER",
    "PARKING_TIME",
    "RESERVATION_TIME",
    "TIME",
}


def one_of(*values: str) -> c.Check:
    def check(value, path):
        return [] if value in values else [f"{path}: {value!r} is not one of {values}."]

    return check


def number(value, path):
    """types §number: a JSON number (Decimal when parsed exactly), at most 4 decimals."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return [f"{path}: must be a JSON number."]
    if isinstance(value, Decimal) and value.as_tuple().exponent < -4:
        return [f"{path}: more than 4 decimals ({value})."]
    return []


def datetime(value, path):
    if not isinstance(value, str) or not DATETIME.match(value):
        return [f"{path}: {value!r} is not a UTC DateTime with 'Z'."]
    return c.datetime(value, path)


price = c.obj({"excl_vat": (number, True), "incl_vat": (number, False)})
cdr_token = c.obj(
    {
        "country_code": (c.string(2, ci=True), True),
        "party_id": (c.string(3, ci=True), True),
        "uid": (c.string(36, ci=True), True),
        "type": (one_of("AD_HOC_USER", "APP_USER", "OTHER", "RFID"), True),
        "contract_id": (c.string(36, ci=True), True),
    }
)
AUTH_METHOD = one_of("AUTH_REQUEST", "COMMAND", "WHITELIST")


def _period(dimension_types: set[str]) -> c.Check:
    dimension = c.obj({"type": (one_of(*sorted(dimension_types)), True), "volume": (number, True)})

    def non_empty(value, path):
        return [] if value["dimensions"] else [f"{path}.dimensions: at least one (CdrDimension+)."]

    return c.obj(
        {
            "start_date_time": (datetime, True),
            "dimensions": (c.list_of(dimension), True),
            "tariff_id": (c.string(36, ci=True), False),
        },
        non_empty,
    )


coordinates = c.obj(
    {
        "latitude": (c.string(10, pattern=c.LATITUDE_RE, hint="a latitude"), True),
        "longitude": (c.string(11, pattern=c.LONGITUDE_RE, hint="a longitude"), True),
    }
)
cdr_location = c.obj(
    {
        "id": (c.string(36, ci=True), True),
        "name": (c.string(255), False),
        "address": (c.string(45), True),
        "city": (c.string(45), True),
        "postal_code": (c.string(10), False),
        "state": (c.string(20), False),
        # mod_cdrs CdrLocation: ISO 3166-1 alpha-3 (FRA, never FR).
        "country": (c.string(3, pattern=re.compile(r"^[A-Z]{3}$"), hint="ISO alpha-3"), True),
        "coordinates": (coordinates, True),
        "evse_uid": (c.string(36, ci=True), True),
        "evse_id": (c.string(48, ci=True), True),
        "connector_id": (c.string(36, ci=True), True),
        "connector_standard": (c.string(40, ci=True), True),
        "connector_format": (one_of("SOCKET", "CABLE"), True),
        "connector_power_type": (
            one_of("AC_1_PHASE", "AC_2_PHASE", "AC_2_PHASE_SPLIT", "AC_3_PHASE", "DC"),
            True,
        ),
    }
)

SESSION = c.obj(
    {
        "country_code": (c.string(2, ci=True), True),
        "party_id": (c.string(3, ci=True), True),
        "id": (c.string(36, ci=True), True),
        "start_date_time": (datetime, True),
        "end_date_time": (datetime, False),
        "kwh": (number, True),
        "cdr_token": (cdr_token, True),
        "auth_method": (AUTH_METHOD, True),
        "authorization_reference": (c.string(36, ci=True), False),
        "location_id": (c.string(36, ci=True), True),
        "evse_uid": (c.string(36, ci=True), True),
        "connector_id": (c.string(36, ci=True), True),
        "meter_id": (c.string(255), False),
        "currency": (c.string(3, pattern=re.compile(r"^[A-Z]{3}$"), hint="ISO 4217"), True),
        "charging_periods": (c.list_of(_period(CDR_DIMENSIONS | SESSION_ONLY)), False),
        "total_cost": (price, False),
        "status": (one_of("ACTIVE", "COMPLETED", "INVALID", "PENDING", "RESERVATION"), True),
        "last_updated": (datetime, True),
    }
)


def _credit_rule(value, path):
    problems = []
    credit = value.get("credit") is True
    if not credit and len(value["id"]) > 36:
        problems.append(f"{path}.id: a non-credit CDR id has at most 36 characters.")
    if credit != ("credit_reference_id" in value):
        problems.append(f"{path}: credit and credit_reference_id go together.")
    return problems


CDR = c.obj(
    {
        "country_code": (c.string(2, ci=True), True),
        "party_id": (c.string(3, ci=True), True),
        "id": (c.string(39, ci=True), True),
        "start_date_time": (datetime, True),
        "end_date_time": (datetime, True),
        "session_id": (c.string(36, ci=True), False),
        "cdr_token": (cdr_token, True),
        "auth_method": (AUTH_METHOD, True),
        "authorization_reference": (c.string(36, ci=True), False),
        "cdr_location": (cdr_location, True),
        "meter_id": (c.string(255), False),
        "currency": (c.string(3, pattern=re.compile(r"^[A-Z]{3}$"), hint="ISO 4217"), True),
        "tariffs": (c.list_of(lambda value, path: check_tariff(value)), False),
        "charging_periods": (c.list_of(_period(CDR_DIMENSIONS)), True),
        "signed_data": (c.obj({}), False),
        "total_cost": (price, True),
        "total_fixed_cost": (price, False),
        "total_energy": (number, True),
        "total_energy_cost": (price, False),
        "total_time": (number, True),
        "total_time_cost": (price, False),
        "total_parking_time": (number, False),
        "total_parking_cost": (price, False),
        "total_reservation_cost": (price, False),
        # Gireve prefixes remarks with [*] or [?] toward eMSPs: ours never starts with '['.
        "remark": (c.string(255, pattern=re.compile(r"^[^\[]"), hint="free of a '[' start"), False),
        "invoice_reference_id": (c.string(39, ci=True), False),
        "credit": (c.boolean, False),
        "credit_reference_id": (c.string(39, ci=True), False),
        "home_charging_compensation": (c.boolean, False),
        "last_updated": (datetime, True),
    },
    _credit_rule,
)


def _empty(obj: dict) -> list[str]:
    return [f"{key}: sent empty instead of left out" for key, v in obj.items() if v in ("", {})]


def check_session(obj: dict) -> list[str]:
    return SESSION(obj, "session") + _empty(obj)


def check_cdr(obj: dict) -> list[str]:
    problems = CDR(obj, "cdr") + _empty(obj)
    if not problems and not obj["charging_periods"]:
        problems.append("cdr.charging_periods: at least one (ChargingPeriod+).")
    return problems


# --- the schema itself ------------------------------------------------------------------------


def _example(name: str) -> dict:
    from roaming.ocpi_json import loads

    return loads((EXAMPLES / name).read_text())


def test_schema_accepts_the_spec_examples():
    session = _example("session_example_2_short_finished.json")
    assert check_session(session) == []
    # (Its latitude and longitude are swapped, roaming-workflow §4.7, yet both are in range.)
    assert check_cdr(_example("cdr_example.json")) == []
    started = _example("session_example_1_simple_start.json")
    assert check_session(started) == []


def test_schema_refuses_the_traps_of_sessions_and_cdrs():
    session = _example("session_example_2_short_finished.json")
    cdr = _example("cdr_example.json")
    traps = {
        "+00:00": ({**session, "last_updated": "2015-06-29T23:50:17+00:00"}, check_session),
        "36 characters": ({**session, "id": "S" * 37}, check_session),
        "alpha-3": (
            {**cdr, "cdr_location": {**cdr["cdr_location"], "country": "BE"}},
            check_cdr,
        ),
        "is not one of": (
            {
                **cdr,
                "charging_periods": [
                    {
                        "start_date_time": "2015-06-29T21:39:09Z",
                        "dimensions": [{"type": "POWER", "volume": 7}],
                    }
                ],
            },
            check_cdr,
        ),
        "required": ({k: v for k, v in cdr.items() if k != "total_energy"}, check_cdr),
        "unknown field": ({**session, "session_id": "x"}, check_session),
        "credit_reference_id go together": ({**cdr, "credit": True}, check_cdr),
        "JSON number": ({**session, "kwh": "41.12"}, check_session),
        "4 decimals": ({**session, "kwh": Decimal("1.00001")}, check_session),
        "'[' start": ({**cdr, "remark": "[*] ours"}, check_cdr),
        "at least one": ({**cdr, "charging_periods": []}, check_cdr),
    }
    for needle, (obj, check) in traps.items():
        problems = check(copy.deepcopy(obj))
        assert any(needle in p for p in problems), (needle, problems)


def dumps_for_pydantic(obj: dict) -> str:
    """py_ocpi reads plain JSON: Decimals as numbers."""
    return json.dumps(obj, default=lambda d: float(d) if isinstance(d, Decimal) else str(d))
