"""Our Sessions and CDRs as OCPI 2.2.1 JSON (mod_sessions Session, mod_cdrs CDR).

Field lengths are those of the spec (roaming-workflow §3.4, §4.5); times leave as UTC `Z`
(roaming.ocpi_time), amounts as exact Decimals (write with roaming.ocpi_json).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from locations.models import EVSE, Connector, Location
from roaming.ocpi_time import format_datetime

from .models import Session

CDR_TOKEN_FIELDS = ("country_code", "party_id", "uid", "type", "contract_id")


def _price(value: dict | None) -> dict | None:
    if value is None:
        return None
    price = {"excl_vat": Decimal(value["excl_vat"])}
    if value.get("incl_vat") is not None:
        price["incl_vat"] = Decimal(value["incl_vat"])
    return price


def cdr_token_to_ocpi(token: dict) -> dict:
    """OCPI CdrToken: the five fields, in the spec's order, as the hub gave them."""
    return {name: token[name] for name in CDR_TOKEN_FIELDS}


def session_to_ocpi(session: Session) -> dict:
    """The whole Session object (PUT body; mod_sessions Session Object)."""
    operator = session.operator
    obj: dict = {
        "country_code": operator.country_code,
        "party_id": operator.party_id,
        "id": session.ocpi_id,
        "start_date_time": format_datetime(session.start_date_time),
    }
    if session.end_date_time is not None:
        obj["end_date_time"] = format_datetime(session.end_date_time)
    obj["kwh"] = session.kwh
    obj["cdr_token"] = cdr_token_to_ocpi(session.cdr_token)
    obj["auth_method"] = session.auth_method
    if session.authorization_reference:
        obj["authorization_reference"] = session.authorization_reference
    location = session.cdr_location
    obj["location_id"] = location["id"]
    obj["evse_uid"] = location["evse_uid"]
    obj["connector_id"] = location["connector_id"]
    if session.meter_id:
        obj["meter_id"] = session.meter_id
    obj["currency"] = session.currency
    obj["charging_periods"] = session.charging_periods
    if session.total_cost is not None:
        obj["total_cost"] = _price(session.total_cost)
    obj["status"] = session.status
    obj["last_updated"] = format_datetime(session.last_updated)
    return obj


def session_patch_to_ocpi(session: Session, new_periods: list[dict]) -> dict:
    """A PATCH body: OCPI 2.2.1 mod_sessions PATCH "SHALL contain the last_updated field"
    and its charging_periods are added to the existing ones, so only the new ones."""
    body: dict = {"kwh": session.kwh}
    if new_periods:
        body["charging_periods"] = new_periods
    if session.total_cost is not None:
        body["total_cost"] = _price(session.total_cost)
    body["last_updated"] = format_datetime(session.last_updated)
    return body


def cdr_location_to_ocpi(location: Location, evse: EVSE, connector: Connector) -> dict:
    """mod_cdrs CdrLocation, a snapshot at the start (the CDR shows the Location "as it was
    at the start of the charging session"). String lengths are CdrLocation's, shorter than
    Location's (address 45, state 20); country is ISO 3166-1 alpha-3 (our Location's)."""
    obj: dict = {"id": location.ocpi_id}
    if location.name:
        obj["name"] = location.name[:255]
    obj["address"] = location.address[:45]
    obj["city"] = location.city[:45]
    if location.postal_code:
        obj["postal_code"] = location.postal_code
    if location.state:
        obj["state"] = location.state[:20]
    obj["country"] = location.country
    obj["coordinates"] = {
        "latitude": evse.latitude or location.latitude,
        "longitude": evse.longitude or location.longitude,
    }
    obj["evse_uid"] = evse.uid
    obj["evse_id"] = evse.evse_id
    obj["connector_id"] = connector.ocpi_id
    obj["connector_standard"] = connector.standard
    obj["connector_format"] = connector.format
    obj["connector_power_type"] = connector.power_type
    return obj


def cdr_to_ocpi(
    *,
    session: Session,
    cdr_id: str,
    charging_periods: list[dict],
    totals,
    costs: dict,
    created: dt.datetime,
    remark: str = "",
) -> dict:
    """The full and final CDR (mod_cdrs POST): `totals` from sessions.charging_periods,
    `costs` the pricing engine's cost fields. Every optional field we have is filled
    (Gireve §1.4 quality fields); total_parking_time always (roaming-workflow §4.4)."""
    operator = session.operator
    obj: dict = {
        "country_code": operator.country_code,
        "party_id": operator.party_id,
        "id": cdr_id,
        "start_date_time": format_datetime(session.start_date_time),
        "end_date_time": format_datetime(session.end_date_time),
        "session_id": session.ocpi_id,
        "cdr_token": cdr_token_to_ocpi(session.cdr_token),
        "auth_method": session.auth_method,
    }
    if session.authorization_reference:
        obj["authorization_reference"] = session.authorization_reference
    obj["cdr_location"] = session.cdr_location
    if session.meter_id:
        obj["meter_id"] = session.meter_id
    obj["currency"] = session.currency
    obj["tariffs"] = [session.tariff] if session.tariff else []
    obj["charging_periods"] = charging_periods
    obj["total_cost"] = costs["total_cost"]
    for name in ("total_fixed_cost",):
        if name in costs:
            obj[name] = costs[name]
    obj["total_energy"] = totals.total_energy
    if "total_energy_cost" in costs:
        obj["total_energy_cost"] = costs["total_energy_cost"]
    obj["total_time"] = totals.total_time
    if "total_time_cost" in costs:
        obj["total_time_cost"] = costs["total_time_cost"]
    obj["total_parking_time"] = totals.total_parking_time
    for name in ("total_parking_cost", "total_reservation_cost"):
        if name in costs:
            obj[name] = costs[name]
    if remark:
        obj["remark"] = remark
    obj["last_updated"] = format_datetime(created)
    return obj
